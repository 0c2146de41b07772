"""The deployment files agree with the code: image, settings, ports, probes, Slack, locks.

No Docker or cluster is needed: the Dockerfile, .dockerignore, the compose files, the
Kubernetes manifests (deploy/k8s) and the Slack app manifests are parsed and checked
against what they name in the code: ``bot.settings.Settings`` for every ``FWBOT_*``
variable, ``bot.cli``'s parser for the commands (and so the HTTP port), the paths
``bot.slack.runner`` serves (on a real server) for the probes, the Web API methods the
code calls for the Slack scopes, ``pyproject.toml`` for the image's version and the
lock files; and no committed file holds a secret.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import re
import shlex
import subprocess
import threading
import tomllib
import urllib.error
import urllib.request
from collections.abc import Iterator
from functools import cache
from importlib import metadata
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlparse

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.web.base_client import BaseClient

from bench.polling import PATIENCE
from bot.cli import build_parser
from bot.settings import Settings, env_name, require_slack
from bot.slack import runner
from bot.slack.listeners.fw_command import COMMAND
from commands.buttons import ButtonAction

REPO = Path(__file__).resolve().parent.parent
DEPLOY = REPO / "deploy"
HEALTH_PORT = Settings.model_fields["health_port"].default  # Socket Mode's /healthz
K8S = DEPLOY / "k8s"
MANIFESTS = {
    "socket": DEPLOY / "slack-app-manifest.socket.yml",
    "http": DEPLOY / "slack-app-manifest.http.yml",
}


# -- reading the files ------------------------------------------------------------------


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def version() -> str:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    return str(project["project"]["version"])


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = load_yaml(DEPLOY / "docker-compose.yml")
    return loaded


def compose_http() -> dict[str, Any]:
    loaded: dict[str, Any] = load_yaml(DEPLOY / "docker-compose.http.yml")
    return loaded


def kustomization() -> dict[str, Any]:
    loaded: dict[str, Any] = load_yaml(K8S / "kustomization.yaml")
    return loaded


def k8s_applied() -> list[dict[str, Any]]:
    """The documents ``kubectl apply -k deploy/k8s`` applies."""
    docs: list[dict[str, Any]] = []
    for name in kustomization()["resources"]:
        docs.extend(d for d in yaml.safe_load_all((K8S / name).read_text()) if d)
    return docs


def k8s_one(kind: str) -> dict[str, Any]:
    found = [d for d in k8s_applied() if d["kind"] == kind]
    assert len(found) == 1, f"expected one {kind} in deploy/k8s, found {len(found)}"
    return found[0]


def secret_example() -> dict[str, Any]:
    loaded: dict[str, Any] = load_yaml(K8S / "secret.example.yaml")
    return loaded


def container() -> dict[str, Any]:
    containers = k8s_one("Deployment")["spec"]["template"]["spec"]["containers"]
    assert [c["name"] for c in containers] == ["fwbot"]
    found: dict[str, Any] = containers[0]
    return found


def env_file_entries(path: Path) -> dict[str, str]:
    """``NAME=value`` lines of an env file, commented-out ones (``#NAME=``) included."""
    entries: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        found = re.match(r"^#?\s*([A-Z][A-Z0-9_]*)=(.*)$", line.strip())
        if found:
            entries[found[1]] = found[2].strip()
    return entries


def dockerfile() -> list[tuple[str, str]]:
    """The Dockerfile's instructions as (INSTRUCTION, arguments), continuations joined."""
    out: list[tuple[str, str]] = []
    pending = ""
    for raw in (REPO / "Dockerfile").read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line.startswith("#") or (not line and not pending):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        pending += line
        instruction, _, rest = pending.strip().partition(" ")
        out.append((instruction.upper(), rest.strip()))
        pending = ""
    return out


def stages() -> list[list[tuple[str, str]]]:
    """The build stages, each from its FROM on."""
    result: list[list[tuple[str, str]]] = []
    for instruction, args in dockerfile():
        if instruction == "FROM":
            result.append([])
        if result:
            result[-1].append((instruction, args))
    return result


def runtime_stage() -> list[tuple[str, str]]:
    return stages()[-1]


def exec_form(args: str) -> list[str]:
    words = json.loads(args)
    assert isinstance(words, list), f"{args!r} is not the exec (JSON) form"
    return [str(w) for w in words]


def copies(stage: list[tuple[str, str]]) -> list[tuple[list[str], str]]:
    """(sources, destination) of each COPY from the build context (not ``--from``)."""
    found = []
    for instruction, args in stage:
        words = shlex.split(args)
        if instruction == "COPY" and not any(w.startswith("--from") for w in words):
            paths = [w for w in words if not w.startswith("--")]
            found.append((paths[:-1], paths[-1]))
    return found


def serve_args(words: list[str]) -> Any:
    """fwbot's own parser on a container's command (the image's entry point is `fwbot`)."""
    args = build_parser().parse_args(words)
    assert args.command == "serve"
    return args


# -- .dockerignore, as Docker reads it -----------------------------------------------------


def _pattern(text: str) -> re.Pattern[str]:
    """A .dockerignore pattern as a regex: ``*`` and ``?`` within a path segment, ``**``
    across segments, ``[...]`` a class."""
    text = text.strip().strip("/")
    out, i = "", 0
    while i < len(text):
        if text.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif text.startswith("**", i):
            out, i = out + ".*", i + 2
        elif text[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif text[i] == "?":
            out, i = out + "[^/]", i + 1
        elif text[i] == "[":
            end = text.index("]", i)
            out, i = out + text[i : end + 1], end + 1
        else:
            out, i = out + re.escape(text[i]), i + 1
    return re.compile(out)


@cache
def ignore_rules() -> tuple[tuple[bool, re.Pattern[str]], ...]:
    rules = []
    for line in (REPO / ".dockerignore").read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            rules.append((line.startswith("!"), _pattern(line.removeprefix("!"))))
    return tuple(rules)


def in_context(path: str) -> bool:
    """Whether a path (relative to the repository) is in the build context: the last
    rule matching it, or one of its parent directories, decides."""
    parts = path.split("/")
    prefixes = ["/".join(parts[:n]) for n in range(1, len(parts) + 1)]
    ignored = False
    for negated, rule in ignore_rules():
        if any(rule.fullmatch(p) for p in prefixes):
            ignored = not negated
    return not ignored


def files_under(source: str) -> list[str]:
    path = REPO / source
    if path.is_file():
        return [source]
    found: list[str] = []
    for root, _, names in os.walk(path):
        found.extend(Path(root, n).relative_to(REPO).as_posix() for n in names)
    return found


def image_files() -> set[str]:
    """Every repository file a COPY in the Dockerfile puts into an image."""
    copied: set[str] = set()
    for stage in stages():
        for sources, _ in copies(stage):
            for source in sources:
                files = [f for f in files_under(source) if in_context(f)]
                assert files, f"COPY {source}: not in the build context (.dockerignore)"
                copied.update(files)
    return copied


# -- the image -------------------------------------------------------------------------------


def test_the_image_builds_in_stages_from_a_pinned_slim_python() -> None:
    args = dict(
        a.split("=", 1) for i, a in dockerfile() if i == "ARG" and a.startswith("PYTHON_IMAGE=")
    )
    base = args["PYTHON_IMAGE"]
    assert re.fullmatch(r"python:3\.11\.\d+-slim-[a-z]+@sha256:[0-9a-f]{64}", base), base
    froms = [a.split()[0] for i, a in dockerfile() if i == "FROM"]
    assert len(froms) >= 2 and set(froms) == {"${PYTHON_IMAGE}"}


def test_the_image_installs_the_runtime_lock_exactly() -> None:
    build = "\n".join(a for stage in stages()[:-1] for i, a in stage if i == "RUN")
    assert re.search(r"--require-hashes\b.*\s-r requirements\.lock", build, re.DOTALL)
    assert "--only-binary=:all:" in build and build.count("--no-deps") >= 2
    assert re.search(r"setuptools==\d", build), "the build backend is pinned too"


def test_the_runtime_runs_fwbot_as_a_user_under_tini_with_a_healthcheck() -> None:
    stage = runtime_stage()
    user = [a for i, a in stage if i == "USER"]
    assert user and user[-1].split(":")[0] not in {"root", "0"}
    installs = " ".join(a for i, a in stage if i == "RUN")
    assert re.search(r"\btini=\d[\w.+~-]*", installs), "tini from the distribution, pinned"
    entrypoint = exec_form(next(a for i, a in stage if i == "ENTRYPOINT"))
    assert entrypoint == ["/usr/bin/tini", "--", "fwbot"]
    command = exec_form(next(a for i, a in stage if i == "CMD"))
    assert serve_args(command).http is None  # Socket Mode by default

    healthcheck = next(a for i, a in stage if i == "HEALTHCHECK")
    script = next(d for s, d in copies(stage) if s == ["deploy/healthcheck.py"])
    assert exec_form(healthcheck.split(" CMD ", 1)[1]) == ["python", script]


def test_the_image_holds_the_bot_and_none_of_the_demo_tests_or_secrets() -> None:
    files = image_files()

    bot = {f for f in files_under("bot") + files_under("commands") if f.endswith(".py")}
    assert bot <= files
    assert "bot/store/migrations/script.py.mako" in files
    assert {"configs/qsiprep-hpc.yml", "requirements.lock", "pyproject.toml"} <= files
    left_out = ("localfw/", "doubles/", "tests/", "bench/", "docs/", "data/", ".venv/")
    assert not [f for f in files if f.startswith(left_out)]
    assert not [f for f in files if re.search(r"(^|/)(\.env|[^/]*\.env|policy\.yml)$", f)]
    assert not [f for f in files if f.endswith((".sqlite3", ".pyc"))]


def test_the_build_context_would_keep_them_out_even_of_a_copy_of_everything() -> None:
    for path in (
        "localfw/server.py",
        "doubles/mock_slack.py",
        "tests/conftest.py",
        "bench/launch.py",
        ".env",
        "deploy/.env",
        "deploy/policy.yml",
        "deploy/k8s/secret.yaml",
        "data/fwbot.sqlite3",
        ".venv/bin/python",
        ".git/config",
        "bot/__pycache__/cli.cpython-311.pyc",
    ):
        assert not in_context(path), path
    assert in_context("bot/cli.py") and in_context("deploy/healthcheck.py")


# -- the lock files -------------------------------------------------------------------------


def lock(name: str) -> dict[str, tuple[str, list[str]]]:
    """{canonical name: (version, hashes)} of a pip-compile lock file."""
    text = (REPO / name).read_text(encoding="utf-8").replace("\\\n", " ")
    pins: dict[str, tuple[str, list[str]]] = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        found = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)(.*)$", line)
        assert found, f"{name}: {line!r} is not a NAME==VERSION pin"
        hashes = re.findall(r"--hash=sha256:([0-9a-f]{64})", found[3])
        pins[canonicalize_name(found[1])] = (found[2], hashes)
    return pins


def pyproject_requirements(extra: str | None = None) -> list[Requirement]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    listed = project["optional-dependencies"][extra] if extra else project["dependencies"]
    return [Requirement(r) for r in listed]


def closure(requirements: list[Requirement]) -> dict[str, str]:
    """{canonical name: installed version} of these requirements and all they need, as
    installed here (the virtualenv `make` builds from the locks)."""
    found: dict[str, str] = {}
    seen: set[tuple[str, frozenset[str]]] = set()
    todo = [(canonicalize_name(r.name), frozenset(r.extras)) for r in requirements]
    while todo:
        name, extras = todo.pop()
        if (name, extras) in seen:
            continue
        seen.add((name, extras))
        dist = metadata.distribution(name)
        found[name] = dist.version
        for spec in dist.requires or []:
            needed = Requirement(spec)
            marker = needed.marker
            if marker is None or any(marker.evaluate({"extra": e}) for e in extras | {""}):
                todo.append((canonicalize_name(needed.name), frozenset(needed.extras)))
    return found


def test_the_runtime_lock_pins_every_runtime_dependency_with_hashes_and_no_dev_tool() -> None:
    pins = lock("requirements.lock")

    for requirement in pyproject_requirements():
        pinned, _ = pins[canonicalize_name(requirement.name)]
        assert requirement.specifier.contains(pinned), f"{requirement} vs {pinned}"
    needed = closure(pyproject_requirements())
    assert set(pins) == set(needed), "the lock is the runtime dependencies, no more, no less"
    assert {n: v for n, (v, _) in pins.items()} == needed, "the venv runs what the image ships"
    assert all(hashes for _, hashes in pins.values()), "every pin has its hashes"
    dev_tools = {canonicalize_name(r.name) for r in pyproject_requirements("dev")}
    assert not dev_tools & set(pins)


def test_the_dev_lock_is_the_runtime_lock_plus_the_dev_tools() -> None:
    runtime = {n: v for n, (v, _) in lock("requirements.lock").items()}
    dev = {n: v for n, (v, _) in lock("requirements-dev.lock").items()}

    assert runtime.items() <= dev.items()
    needed = closure(pyproject_requirements() + pyproject_requirements("dev"))
    assert dev == needed


def test_make_and_ci_install_with_the_dev_lock_as_constraints() -> None:
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^\$\(STAMP\): .*\brequirements-dev\.lock\b", makefile, re.MULTILINE)
    assert "pip install --quiet -c requirements-dev.lock -e '.[dev]'" in makefile
    assert (REPO / ".ci" / "run").read_text().rstrip().endswith("exec make test")


# -- settings --------------------------------------------------------------------------------


def deploy_texts() -> Iterator[tuple[str, str]]:
    for path in [REPO / "Dockerfile", REPO / ".dockerignore", *sorted(DEPLOY.rglob("*"))]:
        if path.is_file() and path.suffix != ".pyc":
            yield path.relative_to(REPO).as_posix(), path.read_text(encoding="utf-8")


def test_every_fwbot_variable_the_deploy_files_name_is_a_setting() -> None:
    settings = {env_name(field) for field in Settings.model_fields}
    named = {
        (where, name)
        for where, text in deploy_texts()
        for name in re.findall(r"\bFWBOT_[A-Z0-9_]*[A-Z0-9]\b", text)
    }
    assert named
    unknown = sorted(f"{name} ({where})" for where, name in named if name not in settings)
    assert not unknown, "not fields of bot.settings.Settings: " + ", ".join(unknown)


def settings_from(names: set[str]) -> Settings:
    """Settings with a well-formed dummy value for each named secret."""
    dummies = {
        "FWBOT_SLACK_BOT_TOKEN": "xoxb-dummy",
        "FWBOT_SLACK_APP_TOKEN": "xapp-dummy",
        "FWBOT_SLACK_SIGNING_SECRET": "dummy",
        "FWBOT_FLYWHEEL_API_KEY": "flywheel.example.org:dummy",
    }
    fields = {n.removeprefix("FWBOT_").lower(): v for n, v in dummies.items() if n in names}
    return Settings(_env_file=None, **fields)  # type: ignore[call-arg, arg-type]


def test_the_env_example_has_what_either_slack_mode_needs_and_no_values_for_secrets() -> None:
    entries = env_file_entries(DEPLOY / "fwbot.env.example")

    settings = settings_from(set(entries))
    require_slack(settings, "socket")
    require_slack(settings, "http")
    assert settings.secret("flywheel_api_key")
    secret = re.compile(r"TOKEN|SECRET|PASSWORD|API_KEY")
    assert {n: v for n, v in entries.items() if secret.search(n) and v} == {}
    other = {n for n in entries if not n.startswith("FWBOT_")}
    assert other <= {"POSTGRES_PASSWORD", "COMPOSE_FILE"}


def test_compose_runs_fwbot_against_its_postgres_with_the_admins_policy() -> None:
    services = compose()["services"]
    fwbot, db = services["fwbot"], services["db"]
    env = fwbot["environment"]

    assert fwbot["env_file"] == ".env"
    assert all(name.startswith("FWBOT_") for name in env)
    url = urlparse(env["FWBOT_DATABASE_URL"])
    assert url.scheme == "postgresql" and url.hostname == "db" and url.port == 5432
    assert url.username == db["environment"]["POSTGRES_USER"]
    assert url.path == "/" + db["environment"]["POSTGRES_DB"]
    assert url.password == "${POSTGRES_PASSWORD}"
    assert db["environment"]["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD:?")
    assert fwbot["depends_on"]["db"]["condition"] == "service_healthy"
    assert db["image"].startswith("postgres:") and "@sha256:" in db["image"]

    mounts = {m["target"]: m for m in fwbot["volumes"]}
    policy = mounts[env["FWBOT_POLICY_FILE"]]
    assert policy["source"] == "./policy.yml"  # the admin's own, never the example
    assert policy["bind"]["create_host_path"] is False and policy["read_only"] is True
    assert (DEPLOY / policy["source"]).resolve() != (DEPLOY / "policy.example.yml").resolve()
    assert (DEPLOY / mounts[env["FWBOT_CONFIGS_DIR"]]["source"]).resolve() == REPO / "configs"


def test_compose_and_kubernetes_secrets_stay_out_of_git() -> None:
    for path in (".env", "deploy/.env", "deploy/policy.yml", "deploy/k8s/secret.yaml"):
        checked = subprocess.run(["git", "check-ignore", "-q", path], cwd=REPO, check=False)
        assert checked.returncode == 0, f"{path} is not in .gitignore"


def test_kubernetes_mounts_the_policy_and_configs_where_the_settings_point() -> None:
    settings = k8s_one("ConfigMap")
    pod = k8s_one("Deployment")["spec"]["template"]["spec"]
    spec = container()
    env = settings["data"]
    volumes = {v["name"]: v for v in pod["volumes"]}
    mounts = {m["mountPath"]: volumes[m["name"]] for m in spec["volumeMounts"]}

    policy = Path(env["FWBOT_POLICY_FILE"])
    assert mounts[str(policy.parent)]["configMap"]["name"] == "fwbot-policy"
    assert policy.name == "policy.yml"  # the key `--from-file=policy.yml=...` makes
    assert mounts[env["FWBOT_CONFIGS_DIR"]]["configMap"]["name"] == "fwbot-saved-configs"
    assert all(m.get("readOnly") for m in spec["volumeMounts"] if m["mountPath"] != "/tmp")

    refs = {k: v["name"] for ref in spec["envFrom"] for k, v in ref.items()}
    assert refs == {
        "configMapRef": settings["metadata"]["name"],
        "secretRef": secret_example()["metadata"]["name"],
    }
    assert all(name.startswith("FWBOT_") for name in env)


def test_the_kubernetes_secret_holds_what_http_mode_needs_and_is_not_applied() -> None:
    example = secret_example()
    data = example["stringData"]

    assert example["kind"] == "Secret"
    assert "secret.example.yaml" not in kustomization()["resources"]
    require_slack(settings_from(set(data)), "http")
    assert urlparse(data["FWBOT_DATABASE_URL"]).scheme == "postgresql"
    assert all("REPLACE_ME" in value for value in data.values())


def test_two_replicas_with_resources_as_the_images_user() -> None:
    deployment = k8s_one("Deployment")
    pod = deployment["spec"]["template"]["spec"]
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    resources = container()["resources"]

    assert deployment["spec"]["replicas"] == 2
    assert {"cpu", "memory"} <= set(resources["requests"]) and "memory" in resources["limits"]
    uid = next(a for i, a in runtime_stage() if i == "USER").split(":")[0]
    assert pod["securityContext"]["runAsUser"] == int(uid)
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert container()["securityContext"]["readOnlyRootFilesystem"] is True
    assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert k8s_one("Service")["spec"]["selector"].items() <= labels.items()
    budget = k8s_one("PodDisruptionBudget")["spec"]["selector"]["matchLabels"]
    assert budget.items() <= labels.items()


# -- the image's name ------------------------------------------------------------------------


def test_compose_and_kubernetes_run_the_image_the_dockerfile_builds() -> None:
    image = f"fwbot:{version()}"
    fwbot = compose()["services"]["fwbot"]

    assert fwbot["image"] == image
    assert (DEPLOY / fwbot["build"]["context"]).resolve() == REPO
    assert fwbot["build"].get("dockerfile", "Dockerfile") == "Dockerfile"
    assert container()["image"] == image
    for entry in kustomization().get("images", []):
        assert entry["name"] == "fwbot" and entry.get("newTag", version()) == version()


# -- the HTTP port ---------------------------------------------------------------------------


def test_the_http_port_is_the_one_the_server_is_started_with() -> None:
    port = serve_args(container()["args"]).http
    ports = {p["name"]: p["containerPort"] for p in container()["ports"]}
    exposed = [int(p) for i, a in runtime_stage() if i == "EXPOSE" for p in a.split()]

    assert port and ports == {"http": port} and exposed == [port, HEALTH_PORT]
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        assert container()[probe]["httpGet"]["port"] in {"http", port}
    assert [p["targetPort"] for p in k8s_one("Service")["spec"]["ports"]] in (["http"], [port])

    http = compose_http()["services"]["fwbot"]
    assert serve_args(http["command"]).http == port
    assert [int(p.rsplit(":", 1)[1]) for p in http["ports"]] == [port]
    socket = compose()["services"]["fwbot"]
    assert "command" not in socket and "ports" not in socket  # the image's `serve`


# -- the probes ------------------------------------------------------------------------------


def test_the_probe_paths_are_the_ones_the_server_serves() -> None:
    spec = container()
    assert spec["readinessProbe"]["httpGet"]["path"] == runner.READY_PATH
    assert spec["livenessProbe"]["httpGet"]["path"] == runner.HEALTH_PATH
    assert spec["startupProbe"]["httpGet"]["path"] == runner.HEALTH_PATH
    assert healthcheck().HEALTH_PATH == runner.HEALTH_PATH
    assert healthcheck().HEALTH_PORT == HEALTH_PORT


def test_prometheus_scrapes_the_metrics_path_on_the_http_port() -> None:
    annotations = k8s_one("Deployment")["spec"]["template"]["metadata"]["annotations"]
    port = serve_args(container()["args"]).http

    assert annotations["prometheus.io/scrape"] == "true"
    assert annotations["prometheus.io/path"] == runner.METRICS_PATH
    assert int(annotations["prometheus.io/port"]) == port


def get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=PATIENCE) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as err:
        return err.code


@pytest.fixture
def http_server() -> Iterator[tuple[int, threading.Event]]:
    """`fwbot serve --http`'s server on a free port; ready once the event is set."""
    ready = threading.Event()
    app = App(token="xoxb-probe", signing_secret="probe", token_verification_enabled=False)
    server = runner.run_http(
        app, 0, "127.0.0.1", readiness=lambda: None if ready.is_set() else "starting"
    ).start_in_thread()
    try:
        yield server.port, ready
    finally:
        server.shutdown()


def test_the_kubernetes_probes_get_answers_from_the_running_server(
    http_server: tuple[int, threading.Event],
) -> None:
    port, ready = http_server
    base = f"http://127.0.0.1:{port}"
    liveness = base + container()["livenessProbe"]["httpGet"]["path"]
    readiness = base + container()["readinessProbe"]["httpGet"]["path"]

    assert (get(liveness), get(readiness)) == (200, 503)  # alive, not ready yet
    ready.set()
    assert (get(liveness), get(readiness)) == (200, 200)


@cache
def healthcheck() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fwbot_healthcheck", DEPLOY / "healthcheck.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_image_healthcheck_in_http_mode_and_socket_mode(
    http_server: tuple[int, threading.Event],
) -> None:
    port, _ = http_server
    check = healthcheck().check
    python, fwbot = "/opt/fwbot/bin/python", "/opt/fwbot/bin/fwbot"
    others = [["/usr/bin/tini", "--", "fwbot", "serve"], [python, "/x/fwbot-healthcheck"]]

    assert check([*others, [python, fwbot, "serve", "--http", str(port)]])[0] is True
    assert check([[fwbot, "serve", f"--http={port}", "--host", "0.0.0.0"]])[0] is True
    # Socket Mode: its health server, on FWBOT_HEALTH_PORT (8080 when unset)
    socket_mode = check([[python, fwbot, "serve"]], socket_port=port)
    assert socket_mode == (True, f"http://127.0.0.1:{port}/healthz: HTTP 200")
    assert check([[python, fwbot, "serve"]], timeout=2, socket_port=1)[0] is False
    assert healthcheck().health_port({}) == HEALTH_PORT
    assert healthcheck().health_port({"FWBOT_HEALTH_PORT": "9000"}) == 9000
    closed = check([[python, fwbot, "serve", "--http", "1"]], timeout=2)
    assert closed[0] is False and "127.0.0.1:1/healthz" in closed[1]
    assert check(others[1:])[0] is False
    assert check([[python, fwbot, "demo"]])[0] is False


def test_the_image_healthcheck_reads_the_processes_from_proc(
    tmp_path: Path,
    http_server: tuple[int, threading.Event],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FWBOT_HEALTH_PORT", str(http_server[0]))  # Socket Mode's /healthz
    main = healthcheck().main
    (tmp_path / "self").mkdir()
    (tmp_path / "7").mkdir()
    (tmp_path / "7" / "cmdline").write_bytes(b"/usr/bin/tini\0--\0fwbot\0serve\0")
    assert main(["--proc", str(tmp_path)]) == 1  # tini alone: its child is gone
    (tmp_path / "8").mkdir()
    (tmp_path / "8" / "cmdline").write_bytes(
        b"/opt/fwbot/bin/python\0/opt/fwbot/bin/fwbot\0serve\0"
    )
    assert main(["--proc", str(tmp_path)]) == 0


# -- the Slack app manifests --------------------------------------------------------------

# The bot-token scopes each Web API method needs (https://api.slack.com/methods). A method
# the code starts calling must be added here, and its scopes to both manifests.
SCOPES_OF: dict[str, frozenset[str]] = {
    "chat_postMessage": frozenset({"chat:write"}),
    "chat_update": frozenset({"chat:write"}),
    "chat_postEphemeral": frozenset({"chat:write"}),
    "chat_delete": frozenset({"chat:write"}),
    "users_info": frozenset({"users:read"}),
    "users_lookupByEmail": frozenset({"users:read.email"}),
    "conversations_open": frozenset({"im:write"}),
    "files_upload_v2": frozenset({"files:write"}),
    "reactions_add": frozenset({"reactions:write"}),
    "auth_test": frozenset(),
    # `/fw link`'s private form: Slack's views methods need no scope, only a trigger_id
    "views_open": frozenset(),
    "views_update": frozenset(),
    # `fwbot check`, with the app-level token (its connections:write), not the bot token
    "apps_connections_open": frozenset(),
}
# In the manifests though no method needs it: posting in a public channel the bot was
# not invited to (chat.postMessage answers not_in_channel without it).
OPTIONAL_SCOPES = {"chat:write.public"}


def web_api_methods() -> dict[str, set[str]]:
    """{WebClient method: files} of every Web API method bot/ and commands/ refer to:
    ``client.users_info(...)``, a bound method passed on (``client.chat_update``), or
    ``api_call("chat.update")``."""
    methods = {m for m in dir(WebClient) if not m.startswith("_")} - set(dir(BaseClient))
    found: dict[str, set[str]] = {}
    for path in sorted([*(REPO / "bot").rglob("*.py"), *(REPO / "commands").rglob("*.py")]):
        where = path.relative_to(REPO).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=where)):
            name = None
            if isinstance(node, ast.Attribute) and node.attr in methods:
                name = node.attr
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "api_call"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                name = node.args[0].value.replace(".", "_")
            if name:
                found.setdefault(name, set()).add(where)
    return found


def slack_manifest(mode: str) -> dict[str, Any]:
    loaded: dict[str, Any] = load_yaml(MANIFESTS[mode])
    return loaded


@pytest.mark.parametrize("mode", sorted(MANIFESTS))
def test_the_slack_manifest_declares_the_command_fwbot_listens_for(mode: str) -> None:
    manifest = slack_manifest(mode)
    commands = manifest["features"]["slash_commands"]
    settings = manifest["settings"]

    assert [c["command"] for c in commands] == [COMMAND]
    assert settings["interactivity"]["is_enabled"] is True and list(ButtonAction)
    assert settings["socket_mode_enabled"] is (mode == "socket")
    urls = [c.get("url") for c in commands] + [settings["interactivity"].get("request_url")]
    if mode == "socket":
        assert urls == [None, None]
    else:
        assert [urlparse(u).path for u in urls] == [runner.EVENTS_PATH] * 2
        assert all(urlparse(u).scheme == "https" for u in urls)


@pytest.mark.parametrize("mode", sorted(MANIFESTS))
def test_the_slack_manifest_asks_for_the_scopes_the_code_uses_and_no_more(mode: str) -> None:
    used = web_api_methods()
    unknown = {m: sorted(w) for m, w in used.items() if m not in SCOPES_OF}
    assert not unknown, f"add these Web API methods' scopes to SCOPES_OF: {unknown}"
    needed = {"commands"}.union(*(SCOPES_OF[m] for m in used))
    # who typed a command is matched to Flywheel by the email of their Slack profile
    if "email" in (REPO / "bot" / "slack" / "identity.py").read_text(encoding="utf-8"):
        needed.add("users:read.email")

    scopes = set(slack_manifest(mode)["oauth_config"]["scopes"]["bot"])
    assert needed <= scopes, f"missing {sorted(needed - scopes)}"
    assert scopes - needed <= OPTIONAL_SCOPES, f"not used: {sorted(scopes - needed)}"


def test_the_two_slack_manifests_differ_only_in_the_mode() -> None:
    def without_mode(manifest: dict[str, Any]) -> dict[str, Any]:
        for command in manifest["features"]["slash_commands"]:
            command.pop("url", None)
        manifest["settings"]["interactivity"].pop("request_url", None)
        manifest["settings"].pop("socket_mode_enabled")
        return manifest

    assert without_mode(slack_manifest("socket")) == without_mode(slack_manifest("http"))


# -- secrets -------------------------------------------------------------------------------

SECRETS = {
    "a Slack token": re.compile(r"\bxox[a-z]-\d{6,}-\d{6,}-[A-Za-z0-9]{12,}"),
    "a Slack app-level token": re.compile(r"\bxapp-\d-[A-Z0-9]{6,}-\d{6,}-[0-9a-f]{32,}"),
    "a Slack signing secret": re.compile(r"SIGNING_SECRET\W{1,4}[0-9a-f]{32}\b"),
    "a Flywheel API key": re.compile(r"\b[\w.-]+\.flywheel\.io:[A-Za-z0-9_-]{16,}"),
    "a private key": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
}
URL_PASSWORD = re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s:/@'\"`]+:([^\s@/'\"`]+)@")
PLACEHOLDERS = {"secret", "password", "pass", "changeme", "change-me", "replace_me", "..."}


def committable_files() -> list[Path]:
    """Every file git would commit: tracked, or new and not ignored."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout.decode()
    return [REPO / name for name in listed.split("\0") if name and (REPO / name).is_file()]


def secrets_in(text: str) -> list[str]:
    found = [what for what, pattern in SECRETS.items() if pattern.search(text)]
    for password in URL_PASSWORD.findall(text):
        if not (password.startswith(("$", "<", "{")) or password.lower() in PLACEHOLDERS):
            found.append(f"a password in a URL ({password[:2]}...)")
    return found


def test_the_secret_scan_finds_real_looking_secrets() -> None:
    # assembled here, so that this file itself holds none
    bot_token = "xoxb-" + "-".join(["123456789012", "1234567890123", "aBcDeFgHiJkLmNoPqRsTuVwX"])
    assert secrets_in(f"FWBOT_SLACK_BOT_TOKEN={bot_token}") == ["a Slack token"]
    assert secrets_in("postgresql://fwbot:" + "hunter2x" + "@db/fwbot")
    assert secrets_in("SIGNING_SECRET: " + "0123456789abcdef" * 2)
    assert not secrets_in("postgresql://fwbot:${POSTGRES_PASSWORD}@db:5432/fwbot")
    assert not secrets_in("postgresql://fwbot:REPLACE_ME@db/fwbot xoxb-fwbot-test")


def test_no_secret_value_is_in_any_committed_file() -> None:
    files = committable_files()
    assert REPO / "deploy" / "fwbot.env.example" in files
    leaks: list[str] = []
    for path in files:
        data = path.read_bytes()
        if b"\0" in data[:8192] or len(data) > 5_000_000:
            continue  # binary, or too large to be a hand-written file
        found = secrets_in(data.decode("utf-8", errors="replace"))
        leaks.extend(f"{path.relative_to(REPO)}: {what}" for what in found)
    assert not leaks


# -- deploy/README.md ------------------------------------------------------------------------


def test_the_deploy_readme_links_files_that_exist() -> None:
    text = (DEPLOY / "README.md").read_text(encoding="utf-8")
    links = re.findall(r"\]\(([^)\s#]+)(?:#[^)]*)?\)", text)
    local = [link for link in links if not re.match(r"^[a-z]+:", link)]
    assert local
    assert not [link for link in local if not (DEPLOY / link).exists()]


def test_the_deploy_readme_runs_real_commands() -> None:
    from tests.test_doc_snippets import blocks_of, shell_problems

    blocks = blocks_of(DEPLOY / "README.md")
    shell = [b for b in blocks if b.lang in {"", "sh", "bash", "console"}]
    assert shell
    problems = [f"{b.where}: {p}" for b in shell for p in shell_problems(b)]
    assert not problems
    # `docker run ... fwbot:VERSION ARGS`: ARGS go to the image's `fwbot`
    image = f"fwbot:{version()}"
    for block in shell:
        for line in block.text.splitlines():
            words = shlex.split(line, comments=True)
            if words[:2] == ["docker", "run"] and image in words:
                args = words[words.index(image) + 1 :] or ["serve"]
                if args != ["--help"]:
                    serve_args(args)
