"""Headless Debian Chromium driven by Selenium through Debian's chromedriver (no browser
download: only the distribution's packages)."""
import os
import shutil
import subprocess
from contextlib import contextmanager
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


def ensure_chromium() -> str | None:
    """Installs chromium and chromium-driver with apt-get when missing (CI runs on a fresh
    machine). Returns None when they are there, else why they could not be installed."""
    if os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK):
        return None
    prefix = []
    if os.geteuid() != 0:
        if not shutil.which("sudo"):
            return "chromium is not installed and this user cannot run apt-get (not root, no sudo)"
        prefix = ["sudo", "-n"]
    apt = prefix + ["apt-get", "install", "-y", "--no-install-recommends", "chromium", "chromium-driver"]
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    try:
        done = subprocess.run(apt, capture_output=True, text=True, timeout=900, env=env)
        if done.returncode != 0:
            # The package lists may be missing on a fresh machine: update once and retry.
            subprocess.run(prefix + ["apt-get", "update"], capture_output=True, timeout=300, env=env)
            done = subprocess.run(apt, capture_output=True, text=True, timeout=900, env=env)
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"apt-get install chromium chromium-driver failed: {e}"
    if done.returncode != 0 or not os.access(CHROMEDRIVER, os.X_OK):
        return f"apt-get install chromium chromium-driver failed: {done.stderr.strip()[-500:]}"
    return None


@contextmanager
def headless_chromium(profile_dir: Path, width: int, height: int, log_path: Path):
    """A Selenium WebDriver for a fresh headless Chromium; always quit afterwards."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage", "--hide-scrollbars", "--force-device-scale-factor=1",
        f"--user-data-dir={profile_dir}", f"--window-size={width},{height}",
    ]:
        options.add_argument(flag)
    service = Service(executable_path=CHROMEDRIVER, log_output=str(log_path))
    driver = webdriver.Chrome(service=service, options=options)
    try:
        driver.set_page_load_timeout(60)
        driver.set_script_timeout(30)
        # --window-size counts the (invisible) browser frame: grow the window until the
        # viewport, which is what a screenshot shows, is exactly width × height.
        for _ in range(3):
            inner_w, inner_h = driver.execute_script("return [window.innerWidth, window.innerHeight]")
            if (inner_w, inner_h) == (width, height):
                break
            size = driver.get_window_size()
            driver.set_window_size(size["width"] + width - inner_w, size["height"] + height - inner_h)
        yield driver
    finally:
        driver.quit()  # ends chromium and chromedriver
