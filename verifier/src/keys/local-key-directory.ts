import type { KeyDirectory } from "../contracts.js";
import { keyIdFromPublicKey } from "../digests.js";
import { readApproversFile } from "../lib/approvers-file.js";
import { assertStrongPublicKey } from "../lib/ed25519-strict.js";
import { decodeBase64url } from "../protocol/base64url.js";
import { HitlError } from "../protocol/errors.js";
import { formatFingerprint } from "../protocol/signing-input.js";
import type { ApproverKey } from "../protocol/types.js";

/**
 * Approver keys from the local approvers file (written by `hitl pair`), or from one public key
 * given on the command line. Loaded and checked once; lookups are a map access.
 */
export class LocalKeyDirectory implements KeyDirectory {
  readonly #byId = new Map<string, ApproverKey>();
  readonly #subjects = new Set<string>();
  readonly #source: string;
  /** Set only by fromPublicKey(undefined, key): one key, accepted for any subject. */
  readonly #anySubjectKey: ApproverKey | undefined;
  readonly #fromKey: boolean;

  private constructor(source: string, approvers: readonly ApproverKey[], fromKey: boolean, anySubjectKey?: ApproverKey) {
    this.#source = source;
    this.#fromKey = fromKey;
    this.#anySubjectKey = anySubjectKey;
    for (const approver of approvers) {
      this.#byId.set(idOf(approver.sub, approver.kid), approver);
      this.#subjects.add(approver.sub);
    }
  }

  /**
   * Loads the approvers file. An absent file is a directory with no approvers (every lookup
   * then says to run `hitl pair`); an invalid, insecure or weak-keyed file throws.
   */
  static async open(path: string): Promise<LocalKeyDirectory> {
    const file = await readApproversFile(path);
    const approvers = (file?.approvers ?? []).map((record) => {
      const approver: ApproverKey = { sub: record.sub, kid: record.kid, publicKey: decodeBase64url(record.publicKey, "publicKey") };
      if (record.label !== undefined) approver.label = record.label;
      return approver;
    });
    return new LocalKeyDirectory(`the approvers file ${path}`, approvers, false);
  }

  /**
   * A directory of one key (`hitl verify --public-key`). With a subject, only that subject
   * matches; without one, the key is accepted whatever subject the receipt names.
   */
  static fromPublicKey(sub: string | undefined, publicKey: Uint8Array): LocalKeyDirectory {
    assertStrongPublicKey(publicKey, "The given public key");
    const key: ApproverKey = { sub: sub ?? "*", kid: keyIdFromPublicKey(publicKey), publicKey: Uint8Array.from(publicKey) };
    if (sub === undefined) return new LocalKeyDirectory("the given public key", [], true, key);
    return new LocalKeyDirectory("the given public key", [key], true);
  }

  /** Every registered approver (for `hitl doctor` and listings). */
  get approvers(): readonly ApproverKey[] {
    return [...this.#byId.values()];
  }

  lookup(sub: string, kid: string): Promise<ApproverKey | undefined> {
    const any = this.#anySubjectKey;
    if (any !== undefined) {
      return Promise.resolve(any.kid === kid ? { sub, kid, publicKey: any.publicKey } : undefined);
    }
    return Promise.resolve(this.#byId.get(idOf(sub, kid)));
  }

  explainMissing(sub: string, kid: string): Promise<HitlError> {
    return Promise.resolve(this.#explain(sub, kid));
  }

  #explain(sub: string, kid: string): HitlError {
    const fingerprint = formatFingerprint(kid);
    if (this.#fromKey) {
      const given = this.#anySubjectKey ?? this.approvers[0];
      if (given !== undefined && given.kid === kid) {
        return new HitlError(
          "ERR_UNKNOWN_APPROVER",
          `The receipt names approver "${sub}", not "${given.sub}" as given. Check the subject you passed.`,
        );
      }
      return new HitlError(
        "ERR_UNKNOWN_KEY",
        `The receipt is signed by key ${fingerprint} (approver "${sub}"), not by the given public key. Check that you passed that approver's key.`,
      );
    }
    if (this.#byId.size === 0) {
      return new HitlError(
        "ERR_UNKNOWN_APPROVER",
        `No approver is paired yet (${this.#source} has none). Run \`hitl pair\` to pair your browser.`,
      );
    }
    if (!this.#subjects.has(sub)) {
      return new HitlError(
        "ERR_UNKNOWN_APPROVER",
        `Approver "${sub}" is not registered in ${this.#source}. Run \`hitl pair\` to pair that browser, or use the approvers file that lists it (HITL_CONFIG_DIR for hitl request, --approvers FILE for hitl verify).`,
      );
    }
    return new HitlError(
      "ERR_UNKNOWN_KEY",
      `Approver "${sub}" has no key ${fingerprint} in ${this.#source}; the browser key changed or the receipt comes from elsewhere. Run \`hitl pair\` again to register the current key.`,
    );
  }
}

function idOf(sub: string, kid: string): string {
  // Subjects are one-line identifiers (no control characters), so "\n" cannot occur inside one.
  return `${sub}\n${kid}`;
}
