import { describe, expect, it } from "vitest";
import { startCountdown } from "../src/lib/countdown.js";
import { terminal } from "./helpers/fake-terminal.js";

describe("the waiting line", () => {
  it("on a terminal: draws the seconds left, says when time is up, and clears itself", async () => {
    const { stream, written } = terminal(true);
    let now = 1_000_000_000_000;
    const countdown = startCountdown("Waiting for approval in your browser", 1_000_000_057, stream, () => now, {});
    now += 57_000;
    await new Promise((resolve) => setTimeout(resolve, 1100));
    countdown.stop();
    countdown.stop();
    await new Promise((resolve) => setImmediate(resolve));
    expect(written()).toBe(
      "\r\u001b[2KWaiting for approval in your browser… 57s" +
        "\r\u001b[2KWaiting for approval in your browser… time is up, waiting for the signing host" +
        "\r\u001b[2K",
    );
  });

  it("on a terminal: a new label (browser connection lost) is drawn at once, with the same seconds", async () => {
    const { stream, written } = terminal(true);
    const now = 1_000_000_000_000;
    const countdown = startCountdown("Waiting for approval in your browser", 1_000_000_030, stream, () => now, {});
    countdown.setLabel("Browser connection lost; waiting for it to come back");
    countdown.stop();
    countdown.setLabel("too late");
    await new Promise((resolve) => setImmediate(resolve));
    expect(written()).toBe(
      "\r\u001b[2KWaiting for approval in your browser… 30s" +
        "\r\u001b[2KBrowser connection lost; waiting for it to come back… 30s" +
        "\r\u001b[2K",
    );
  });

  it("on a TERM=dumb terminal (no line erase): writes nothing at all", async () => {
    const { stream, written } = terminal(true);
    const countdown = startCountdown("Waiting", Date.now() / 1000 + 60, stream, Date.now, { TERM: "dumb" });
    countdown.setLabel("Browser connection lost");
    countdown.stop();
    await new Promise((resolve) => setImmediate(resolve));
    expect(written()).toBe("");
  });

  it("with NO_COLOR: no escape codes, the line is overwritten with spaces", async () => {
    const { stream, written } = terminal(true);
    const now = 1_000_000_000_000;
    const countdown = startCountdown("Waiting", 1_000_000_030, stream, () => now, { NO_COLOR: "1" });
    countdown.setLabel("Lost");
    countdown.stop();
    await new Promise((resolve) => setImmediate(resolve));
    expect(written()).toBe(`\rWaiting… 30s\r${" ".repeat(12)}\rLost… 30s\r${" ".repeat(9)}\r`);
    expect(written()).not.toContain("\u001b");
  });

  it("anywhere else: writes nothing at all", async () => {
    const { stream, written } = terminal(false);
    const countdown = startCountdown("Waiting", Date.now() / 1000 + 60, stream);
    countdown.setLabel("Browser connection lost");
    countdown.stop();
    await new Promise((resolve) => setImmediate(resolve));
    expect(written()).toBe("");
  });
});
