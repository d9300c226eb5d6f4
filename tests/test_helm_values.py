"""The Zero to JupyterHub values file (kernel/container/helm/values.yaml) without a cluster or
the network: every key it sets is an option of the chart, it validates against the chart's own
values schema as `helm` would validate it, and the figures that matter for a ferrokeras class
agree with the measurements in docs/jupyterhub.md and with the image (uid, port, home).

The chart's schema and default values are read from tests/z2jh-4.4.0/ (or the folder
FERROKERAS_Z2JH_CHART names, to try another chart): the files `jupyterhub/values.schema.yaml`
and `jupyterhub/values.yaml` of https://github.com/jupyterhub/zero-to-jupyterhub-k8s at tag
4.4.0 (commit 5c5f5df751588a68a7781ead01d0f62e88e2e72f), checked here by SHA-256. The list of
chart options below catches a misspelled key too, and is itself checked against the schema.
"""
import copy
import hashlib
import os
import pathlib
import re

import jsonschema
import pytest
import yaml

REPO = pathlib.Path(__file__).resolve().parent.parent
VALUES = REPO / "kernel" / "container" / "helm" / "values.yaml"
CONTAINERFILE = REPO / "kernel" / "container" / "Containerfile"
JUPYTERHUB_MD = REPO / "docs" / "jupyterhub.md"

CHART_VERSION = "4.4.0"
CHART_COMMIT = "5c5f5df751588a68a7781ead01d0f62e88e2e72f"
CHART_URL = "https://github.com/jupyterhub/zero-to-jupyterhub-k8s"
CHART_DIR = pathlib.Path(os.environ.get(
    "FERROKERAS_Z2JH_CHART", REPO / "tests" / f"z2jh-{CHART_VERSION}"))
CHART_FILES = {  # name in CHART_DIR (and under jupyterhub/ in the chart's repository): SHA-256
    "values.schema.yaml": "1d9d48ee343efda1140edfc3de4d8ec4113ae9173bf9e44b83f19c2ca335a0dc",
    "values.yaml": "d61742ce43e33262bb8fa0d68b6b9e7a7b229a3c7ce6d5a08cf97788c0ba796b",
}

# The chart options this values file may set (dotted paths of the chart's values). Adding an
# option means adding it here; with the chart's schema at hand, the schema test checks that
# every path here is one of the chart's.
CHART_OPTIONS = {
    "singleuser.image.name", "singleuser.image.tag", "singleuser.image.pullPolicy",
    "singleuser.uid", "singleuser.fsGid",
    "singleuser.memory.guarantee", "singleuser.memory.limit",
    "singleuser.cpu.guarantee", "singleuser.cpu.limit",
    "singleuser.extraEnv", "singleuser.defaultUrl", "singleuser.cmd", "singleuser.startTimeout",
    "singleuser.storage.type", "singleuser.storage.capacity", "singleuser.storage.homeMountPath",
    "prePuller.hook.enabled", "prePuller.continuous.enabled",
    "cull.enabled", "cull.users", "cull.timeout", "cull.every",
}
# Options whose value is a map of free names (environment variables): not walked into.
OPEN_MAPS = {"singleuser.extraEnv"}

# What the image promises (kernel/container/Containerfile, docs/container.md): a non-root user
# of uid 1000, and the single-user server on 8888, which is also KubeSpawner's default port.
IMAGE_UID = 1000
IMAGE_PORT = 8888

# CIFAR-10 held as float32 tensors, train and test: the heaviest data of the course notebooks.
CIFAR10_FLOAT_BYTES = (50_000 + 10_000) * 32 * 32 * 3 * 4


@pytest.fixture(scope="module")
def values():
    return yaml.safe_load(VALUES.read_text())


def option_paths(node, prefix=""):
    """The dotted paths of the values' leaves (an open map counts as one leaf)."""
    for key, value in node.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and path not in OPEN_MAPS:
            yield from option_paths(value, path + ".")
        else:
            yield path


def byte_spec(value) -> int:
    """Bytes of a KubeSpawner memory value: JupyterHub's ByteSpecification (a number of bytes,
    or a number with K, M, G or T, each 1024 times the one before)."""
    if isinstance(value, (int, float)):
        return int(value)
    units = {"K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}
    assert isinstance(value, str) and value[-1:] in units, \
        f"{value!r} is not a JupyterHub byte specification (e.g. 4G)"
    return int(float(value[:-1]) * units[value[-1]])


def k8s_quantity(value: str) -> int:
    """Bytes of a Kubernetes storage quantity such as 10Gi or 500M."""
    m = re.fullmatch(r"(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|K|M|G|T)?", value)
    assert m, f"{value!r} is not a Kubernetes quantity"
    powers = {None: 1, "K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12,
              "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40}
    return int(float(m[1]) * powers[m[2]])


def server_options(values) -> dict:
    """`--Class.trait=value` arguments of singleuser.cmd, as {"Class.trait": "value"}."""
    cmd = values["singleuser"]["cmd"]
    assert isinstance(cmd, list) and cmd[0] == "jupyterhub-singleuser", cmd
    options = {}
    for arg in cmd[1:]:
        m = re.fullmatch(r"--(\w+\.\w+)=(.*)", arg)
        assert m, f"singleuser.cmd argument {arg!r} is not --Class.trait=value"
        options[m[1]] = m[2]
    return options


def measured_idle_bytes() -> int:
    """The measured memory per student at rest, as docs/jupyterhub.md states it."""
    m = re.search(r"about (\d+(?:\.\d+)?) GB per ferrokeras student", JUPYTERHUB_MD.read_text())
    assert m, "docs/jupyterhub.md no longer states 'about N GB per ferrokeras student'"
    return int(float(m[1]) * 1e9)


def test_every_key_is_a_chart_option(values):
    unknown = sorted(set(option_paths(values)) - CHART_OPTIONS)
    assert not unknown, (
        f"{VALUES.relative_to(REPO)} sets keys that are not chart options this project knows "
        f"(misspelled, or new: add them to CHART_OPTIONS): {unknown}")


def coalesce(defaults, user):
    """Helm's merge of user values over the chart's: maps merge key by key, a null removes
    the chart's key, anything else replaces it."""
    merged = copy.deepcopy(defaults)
    for key, value in user.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = coalesce(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def schema_node(schema, path):
    node = schema
    for key in path.split("."):
        node = node.get("properties", {}).get(key)
        if node is None:
            return None
    return node


def test_values_validate_against_the_charts_schema(values):
    missing = [n for n in CHART_FILES if not (CHART_DIR / n).is_file()]
    assert not missing, (
        f"the chart's {', '.join(missing)} not found in {CHART_DIR}: it holds "
        f"jupyterhub/values.schema.yaml and jupyterhub/values.yaml of {CHART_URL} "
        f"at tag {CHART_VERSION} (commit {CHART_COMMIT})")
    for name, sha in CHART_FILES.items():
        got = hashlib.sha256((CHART_DIR / name).read_bytes()).hexdigest()
        assert got == sha, (f"{CHART_DIR / name} is not the chart {CHART_VERSION}'s {name} "
                            f"(SHA-256 {got}, expected {sha})")
    schema = yaml.safe_load((CHART_DIR / "values.schema.yaml").read_text())
    defaults = yaml.safe_load((CHART_DIR / "values.yaml").read_text())
    # Worth checking at all only because the schema closes its objects: a misspelled key
    # fails here, not only in CHART_OPTIONS.
    assert schema.get("additionalProperties") is False
    assert schema_node(schema, "singleuser")["additionalProperties"] is False

    not_in_chart = sorted(p for p in CHART_OPTIONS if schema_node(schema, p) is None)
    assert not not_in_chart, f"CHART_OPTIONS not in the chart's schema: {not_in_chart}"

    # As helm does: the chart's defaults with this file over them, then the schema.
    errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(coalesce(defaults, values)),
                    key=lambda e: list(map(str, e.absolute_path)))
    assert not errors, "\n".join(
        f"{'.'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}" for e in errors)


def test_memory_covers_the_measured_student(values):
    idle = measured_idle_bytes()
    memory = values["singleuser"]["memory"]
    guarantee, limit = byte_spec(memory["guarantee"]), byte_spec(memory["limit"])
    assert guarantee >= idle, f"guarantee {memory['guarantee']} < the measured idle {idle} bytes"
    assert limit >= guarantee, f"limit {memory['limit']} < guarantee {memory['guarantee']}"
    # Room to train the heaviest notebook: CIFAR-10 as float32 and its scaled copy.
    assert limit >= idle + 2 * CIFAR10_FLOAT_BYTES, \
        f"limit {memory['limit']} leaves no room for CIFAR-10 (values.yaml's comment)"


def test_cpu_and_libtorch_threads(values):
    cpu = values["singleuser"]["cpu"]
    assert 0 < cpu["guarantee"] <= cpu["limit"], cpu
    # libtorch sizes its thread pool by the node's cores unless told: match the pod's limit.
    assert values["singleuser"]["extraEnv"]["OMP_NUM_THREADS"] == str(int(cpu["limit"]))


def test_class_settings(values):
    su = values["singleuser"]
    assert su["extraEnv"]["FERROKERAS_STANDBY"] == "0"
    assert su["defaultUrl"] == "/lab"
    assert su["image"]["name"].rsplit("/", 1)[-1] == "ferrokeras", su["image"]
    assert su["image"]["pullPolicy"] == "IfNotPresent"
    pre = values["prePuller"]
    assert pre["hook"]["enabled"] is True and pre["continuous"]["enabled"] is True


def test_storage_holds_session_slots_and_data(values):
    storage = values["singleuser"]["storage"]
    assert storage["type"] == "dynamic"
    # Three notebooks open at once (a session slot of up to 1 GB each) and ~3 GB of data.
    assert k8s_quantity(storage["capacity"]) >= 3 * 10**9 + 3 * 10**9, storage
    # Notebooks are saved on the volume whatever the image's working directory.
    assert server_options(values)["ServerApp.root_dir"] == storage["homeMountPath"]


def test_idle_kernels_and_servers_are_culled(values):
    from jupyter_server.serverapp import ServerApp
    from jupyter_server.services.kernels.kernelmanager import MappingKernelManager

    options = server_options(values)
    # traitlets only warns about a misspelled trait on the command line, so check them here,
    # against the jupyter_server that the image installs from the same requirements.
    classes = {"MappingKernelManager": MappingKernelManager, "ServerApp": ServerApp}
    for option in options:
        cls, trait = option.split(".")
        assert cls in classes and classes[cls].class_traits().get(trait) is not None, \
            f"singleuser.cmd sets {option}, which jupyter_server does not have"
    kernel_timeout = int(options["MappingKernelManager.cull_idle_timeout"])
    assert kernel_timeout > 0 and int(options["MappingKernelManager.cull_interval"]) > 0
    assert options["MappingKernelManager.cull_connected"] == "True"

    cull = values["cull"]
    assert cull["enabled"] is True and 0 < cull["every"] < cull["timeout"], cull
    # docs/jupyterhub.md: kernels are culled before their server is.
    assert kernel_timeout < cull["timeout"]


def containerfile_instructions():
    """(INSTRUCTION, arguments) of the Containerfile, continuation lines joined."""
    text = re.sub(r"\\\n", " ", CONTAINERFILE.read_text())
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            yield word.upper(), rest.strip()


def test_image_user_port_and_home(values):
    su = values["singleuser"]
    assert su["uid"] == IMAGE_UID
    # The server listens where KubeSpawner looks: its default port, not overridden here.
    assert "KubeSpawner" not in values.get("hub", {}).get("config", {})
    if not CONTAINERFILE.is_file():
        return  # only the promise above until the image's Containerfile is in the repository
    instructions = list(containerfile_instructions())
    # Joined with ";" so that one RUN's last word is not read as the next one's first.
    runs = " ; ".join(rest for word, rest in instructions if word == "RUN")
    users = [rest for word, rest in instructions if word == "USER"]
    assert users, "the Containerfile sets no USER: the image would run as root"
    user = users[-1].split(":")[0]
    if not user.isdigit():  # a name: its uid from the useradd that makes it
        m = re.search(rf"useradd\b[^;&|]*?(?:-u|--uid)[ =](\d+)[^;&|]*?\b{re.escape(user)}\b",
                      runs)
        assert m, f"the Containerfile's USER {user} has no useradd with its uid"
        user = m[1]
    assert int(user) == su["uid"], f"image uid {user}, values.yaml singleuser.uid {su['uid']}"

    exposed = [p.split("/")[0] for w, rest in instructions if w == "EXPOSE" for p in rest.split()]
    assert str(IMAGE_PORT) in exposed, f"the Containerfile exposes {exposed}, not {IMAGE_PORT}"
    assert "jupyterhub" in runs, "singleuser.cmd runs jupyterhub-singleuser: install jupyterhub"

    # The user's home: ENV HOME, else the home its useradd gives it (-d, or /home/NAME).
    env = " ".join(rest for word, rest in instructions if word == "ENV")
    home = re.search(r"\bHOME[= ]\"?([^\s\"]+)", env)
    home = home[1] if home else None
    if home is None:
        for cmd in re.split(r"&&|;|\|\|", runs):
            words = cmd.split()
            if "useradd" in words and re.search(rf"(?:-u|--uid)[ =]{su['uid']}\b", cmd):
                d = re.search(r"(?:-d|--home-dir)[ =](\S+)", cmd)
                home = d[1] if d else f"/home/{words[-1]}"
    if home is not None:
        assert home == su["storage"]["homeMountPath"], (
            f"the image's home {home} is not where the student's volume is mounted "
            f"({su['storage']['homeMountPath']}): ~/.cache/ferrokeras would not persist")
    # FERROKERAS_STANDBY in the image's kernelspec env would win over the pod's "0".
    standby = re.findall(r"FERROKERAS_STANDBY=(\S+)", CONTAINERFILE.read_text())
    assert all(v.strip("\"'") == "0" for v in standby), standby
