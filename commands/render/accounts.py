"""Replies about linked accounts: linked, unlinked, who am I. A key is never shown."""

from __future__ import annotations

from bot.domain import UserRef
from bot.service.linking import WhoAmI
from commands.render.blocks import context, escape, section
from commands.render.message import reply
from commands.reply import Reply

MAX_ROLES_SHOWN = 20


def linked(user: UserRef, site: str) -> Reply:
    who = f"{user.display_name} ({user.email})" if user.display_name else user.email
    text = (
        f"Linked: fwbot now acts on Flywheel at {site} as {who}, with your own key. "
        "`/fw unlink` forgets it."
    )
    return reply(text, [section(escape(text))], text)


def unlinked(removed: bool) -> Reply:
    text = (
        "Unlinked: fwbot has deleted your Flywheel key."
        if removed
        else "You had no linked Flywheel account; nothing to unlink."
    )
    return reply(text, [section(escape(text))], text)


def use_the_form() -> Reply:
    text = (
        "In Slack, `/fw link` opens a private form for your Flywheel API key; in the "
        "console, type `link` alone and paste the key when asked. Never type the key into "
        "a command."
    )
    return reply(text, [section(escape(text))], text)


def whoami(me: WhoAmI) -> Reply:
    name = f"{me.display_name} ({me.email})" if me.display_name else me.email
    if me.linked:
        how = f"linked with your own key: Flywheel at {me.site} sees you as `{me.flywheel_user_id}`"
    else:
        how = "matched by email, through fwbot's shared Flywheel account"
    head = f"You are {name}, {how}."
    shown = list(me.roles.items())[:MAX_ROLES_SHOWN]
    roles = (
        "\n".join(f"• `{label}`: {role}" for label, role in shown)
        if shown
        else "No role on any project fwbot can see."
    )
    if len(me.roles) > len(shown):
        roles += f"\n… and {len(me.roles) - len(shown)} more"
    tail = "Link your own account for fwbot to act as you: `/fw link`." if me.link_offered else ""
    text = "\n".join(p for p in (head, roles, tail) if p)
    blocks = [section(escape(head)), section(escape(roles))]
    if tail:
        blocks.append(context(escape(tail)))
    return reply(text, blocks, text)
