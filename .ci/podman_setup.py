"""podman on this kind of machine (shared/design/CONTAINERS.md): runc instead of crun, no default ulimits, and a
stand-in for the Dockerfile's base image (no registry is reachable), cached. Shared by .ci/container-rehearsal and
.ci/image."""
import os
import shutil
import subprocess
import tempfile

CACHE = os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "agentidp", "rehearsal")
CONTAINERS_CONF = """[containers]
default_ulimits = []
pids_limit = 0
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
"""


def log(message):
    print("podman: " + message, flush=True)


def run(*args, check=True, **kwargs):
    return subprocess.run(list(args), check=check, text=True, **kwargs)


def ensure_tools(extra=()):
    tools = ("podman", "runc", "debootstrap") + tuple(extra)
    missing = [tool for tool in tools if shutil.which(tool) is None]
    if missing:
        packages = {"docker-registry": "docker-registry"}
        log("installing " + " ".join(missing))
        run("apt-get", "update", "-q", stdout=subprocess.DEVNULL)
        run("apt-get", "install", "-y", "-q", *[packages.get(m, m) for m in missing], stdout=subprocess.DEVNULL)


def write_conf(directory):
    """Writes containers.conf into directory, points CONTAINERS_CONF at it and returns its path."""
    conf = os.path.join(directory, "containers.conf")
    with open(conf, "w") as out:
        out.write(CONTAINERS_CONF)
    os.environ["CONTAINERS_CONF"] = conf
    return conf


def base_image(dockerfile="service/Dockerfile"):
    return next(line.split()[1] for line in open(dockerfile) if line.startswith("FROM "))


def ensure_base(base):
    if run("podman", "image", "exists", base, check=False).returncode == 0:
        return
    tarball = os.path.join(CACHE, "base.tar")
    if not os.path.exists(tarball):
        log("building the stand-in for " + base + " with debootstrap (cached in " + CACHE + ")")
        os.makedirs(CACHE, exist_ok=True)
        rootfs = tempfile.mkdtemp(dir=CACHE)
        run("debootstrap", "--variant=minbase", "--include=openjdk-17-jre-headless,passwd,bash,ca-certificates",
            "bookworm", rootfs, "http://deb.debian.org/debian", stdout=subprocess.DEVNULL)
        run("tar", "-C", rootfs, "-cf", tarball + ".part", ".")
        os.replace(tarball + ".part", tarball)
        shutil.rmtree(rootfs)
    run("podman", "import", "--change", "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        tarball, base, stdout=subprocess.DEVNULL)
