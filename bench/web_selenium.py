#!/usr/bin/python3
"""bench/web_selenium.py - the peer of bench/web.sh: the same task as the
kobito script, written the way an experienced Selenium user writes it
(Debian's python3-selenium, the same chromedriver and chromium, the same
flags), so that the two wall times compare one way of driving the browser
with the other.

    web_selenium.py URL BOOK.csv PASSWORD

It logs in, enters every order of the book (one entry screen, the
confirmation page, the completion number read back), then reads the list
of orders back in one script call (the fast way; element by element would
be slower) and checks it holds them all.  It prints "ready EPOCH_MS" when
the browser can take its first command, and "done N" at the end.
"""
import csv
import os
import shutil
import sys
import tempfile
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

FLAGS = [
    "--headless", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--no-default-browser-check", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
    "--disable-breakpad", "--password-store=basic",
    "--disable-features=Translate,MediaRouter,OptimizationHints",
    "--window-size=1280,1024", "--lang=ja-JP",
]

READ_TABLE = """
const t = document.getElementById('list');
const names = [...t.tHead.rows[0].cells].map(c => c.innerText.trim());
return [...t.tBodies[0].rows].map(r => Object.fromEntries(
    [...r.cells].map((c, i) => [names[i], c.innerText.trim()])));
"""


def main():
    url, book, password = sys.argv[1:4]
    with open(book, encoding="utf-8") as f:
        orders = list(csv.DictReader(f))
    profile = tempfile.mkdtemp(prefix="selenium-profile-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for flag in FLAGS + ["--user-data-dir=" + profile]:
        opts.add_argument(flag)
    if os.geteuid() == 0:
        opts.add_argument("--no-sandbox")
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"),
                              options=opts)
    print("ready", int(time.time() * 1000), flush=True)
    # A click that submits a form may return before the next page is
    # there: the driver looks for elements for up to 10 s, as kobito does.
    driver.implicitly_wait(10)
    try:
        driver.get(url + "/login")
        driver.find_element(By.NAME, "user_id").send_keys("s100101")
        driver.find_element(By.NAME, "password").send_keys(password)
        driver.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
        for o in orders:
            driver.get(url + "/overtime/new")
            driver.find_element(By.NAME, "emp_no").send_keys(o["emp_no"])
            driver.find_element(By.NAME, "work_date").send_keys(o["date"])
            driver.find_element(By.NAME, "start").send_keys(o["start"])
            driver.find_element(By.NAME, "end").send_keys(o["end"])
            Select(driver.find_element(By.NAME, "reason")) \
                .select_by_visible_text(o["reason"])
            driver.find_element(By.NAME, "note").send_keys(o["note"])
            driver.find_element(By.CSS_SELECTOR,
                                "input[value='確認']").click()
            driver.find_element(By.CSS_SELECTOR,
                                "input[value='登録']").click()
            no = driver.find_element(By.ID, "receipt-no").text
            if not no.startswith("OT-"):
                raise SystemExit("no receipt number for " + o["emp_no"])
        driver.get(url + "/overtime/list?per=100")
        rows = driver.execute_script(READ_TABLE)
        if len(rows) != len(orders):
            raise SystemExit("the list has %d rows, not %d"
                             % (len(rows), len(orders)))
        print("done", len(rows), flush=True)
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    main()
