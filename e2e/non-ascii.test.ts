import { expect, test } from "vitest";
import { clickButton, expectSignedDecision, readThrough, sharedSession } from "./harness/index.js";

/*
 * Whatever the requester writes, the window shows it character for character and the signature
 * verifies: emoji (with joiners and skin tones), right-to-left scripts, combining marks, newlines.
 * Invisible and direction-changing characters are shown as visible markers with a warning.
 */
const session = sharedSession({ pairAs: "zoë 🧑🏽" });

const SUMMARY = [
  "Lösche 🗑️ die Datei «отчёт.pdf» 👩🏽‍🔬 👨‍👩‍👧",
  "מחק את הקובץ /tmp/קובץ",
  "حذف الملف نهائيًا",
  "e\u0301 n\u0303 Z\u0351\u0364\u036b — 漢字 かな 한국어",
  "\ttabbed line",
].join("\n");

const DETAILS = { path: "/tmp/ünïcødé 📁/файл", note: "עברית and العربية", emoji: "🏳️‍🌈", combining: "a\u0308o\u0308" };

test("a non-ASCII action round-trips: shown exactly, approved, verified", async () => {
  const run = session.hitl(["request", "--action", SUMMARY, "--details", JSON.stringify(DETAILS), "--json"]);
  const page = await session.nextWindow("approval", { run });
  expect(await page.locator("#summary").textContent()).toBe(SUMMARY);
  expect(JSON.parse((await page.locator("#details").textContent()) ?? "")).toEqual(DETAILS);
  expect(await page.locator("#warning").isHidden()).toBe(true);
  expect(await page.locator("#meta").textContent()).toContain("zoë 🧑🏽");

  // Taller than the 520 × 680 window: Approve unlocks only once all of it has been on screen.
  await page.waitForTimeout(1000);
  expect(await page.getByRole("button", { name: "Approve", exact: true }).isDisabled()).toBe(true);
  await readThrough(page);
  await clickButton(page, "Approve");
  const { receipt } = expectSignedDecision(await run.done, { decision: "approve", sub: "zoë 🧑🏽", summary: SUMMARY });
  expect(receipt.challenge.action).toEqual({ summary: SUMMARY, details: DETAILS });
});

test("the human-readable result names the non-ASCII approver", async () => {
  const run = session.hitl(["request", "--action", "✅ ok?"]);
  await clickButton(await session.nextWindow("approval", { run }), "Approve");
  const result = await run.done;
  expect(result.code).toBe(0);
  expect(result.stdout).toContain("APPROVED — signature verified\nUser: zoë 🧑🏽 (key ");
});

test("bidi overrides and zero-width characters are made visible, with a warning, and still sign exactly", async () => {
  // Displayed naively this reads "delete report.txt" ... but it ends in "exe".
  const tricky = "delete report\u202Etxt.exe\u202C and\u200Bnothing else";
  const run = session.hitl(["request", "--action", tricky, "--json"]);
  const page = await session.nextWindow("approval", { run });
  const shown = await page.locator("#summary").textContent();
  expect(shown).toBe(
    "delete report⟨U+202E RIGHT-TO-LEFT OVERRIDE⟩txt.exe⟨U+202C POP DIRECTIONAL FORMATTING⟩ and⟨U+200B ZERO WIDTH SPACE⟩nothing else",
  );
  expect(shown).not.toContain("\u202E");
  const warning = page.locator("#warning");
  expect(await warning.isVisible()).toBe(true);
  expect(await warning.textContent()).toContain("3 invisible or direction-changing characters");
  expect(await page.getByRole("alert").textContent()).toContain("Careful");

  await clickButton(page, "Deny");
  expectSignedDecision(await run.done, { decision: "deny", summary: tricky });
});

test("markup in the action is shown as text, never rendered", async () => {
  const html = `<img src=x onerror="document.title='pwned'"><b>bold</b> &amp; <script>alert(1)</script>`;
  const run = session.hitl(["request", "--action", html, "--json"]);
  const page = await session.nextWindow("approval", { run });
  expect(await page.locator("#summary").textContent()).toBe(html);
  expect(await page.locator("#summary img, #summary b, #summary script").count()).toBe(0);
  expect(await page.title()).not.toBe("pwned");
  await clickButton(page, "Deny");
  expect((await run.done).code).toBe(1);
});
