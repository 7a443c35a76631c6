import type { KeyPolicy } from "@hitl/verifier/protocol";
import browser from "../lib/browser.js";
import { DEFAULT_KEY_POLICY } from "./key-lifetime.js";

/**
 * The approver identity adopted at pairing: the subject the terminal proposed and the human
 * confirmed, and which key was paired. Not secret; kept in storage.local.
 */
export interface Identity {
  subject: string;
  kid: string;
  pairedAt: number;
}

const IDENTITY_KEY = "hitl.identity";
const POLICY_KEY = "hitl.keyPolicy";

// Only the service worker writes the identity, so it may keep the last value it read or wrote.
let cached: { identity: Identity | undefined } | undefined;

export async function readIdentity(): Promise<Identity | undefined> {
  cached ??= { identity: await loadIdentity() };
  return cached.identity;
}

async function loadIdentity(): Promise<Identity | undefined> {
  const value = (await browser.storage.local.get(IDENTITY_KEY))[IDENTITY_KEY] as Partial<Identity> | undefined;
  if (value === undefined || typeof value.subject !== "string" || typeof value.kid !== "string" || typeof value.pairedAt !== "number") {
    return undefined;
  }
  return { subject: value.subject, kid: value.kid, pairedAt: value.pairedAt };
}

export async function writeIdentity(identity: Identity): Promise<void> {
  await browser.storage.local.set({ [IDENTITY_KEY]: identity });
  cached = { identity };
}

/** The lifetime of the key this browser made last (and paired): which store to look in. */
export async function writeKeyPolicy(policy: KeyPolicy): Promise<void> {
  await browser.storage.local.set({ [POLICY_KEY]: policy });
}

export async function readKeyPolicy(): Promise<KeyPolicy> {
  const value = (await browser.storage.local.get(POLICY_KEY))[POLICY_KEY];
  return value === "session" || value === "persistent" ? value : DEFAULT_KEY_POLICY;
}
