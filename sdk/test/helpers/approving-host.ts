import { addApprover, type Challenge, type Decision, type ExtensionStatus, type HostToExtension, resolvePaths } from "@hitl/verifier";
import { makeApprover, signReceipt, type TestApprover } from "@hitl/verifier/testing";
import { freePort } from "../../../cli/test/helpers/peer-host.js";
import { type RealHost, startRealHost } from "../../../cli/test/helpers/real-host.js";
import { isolatedDirs } from "../../../cli/test/helpers/run-cli.js";

/*
 * The real signing host (signing-host/dist/main.js, real stdio framing, real HTTP on a random
 * port) with the test playing the extension: `decide` answers each challenge the host shows
 * (a decision signed with alice's real Ed25519 key, or "hang": never answer). Alice is paired
 * (in the approvers file) unless `paired` is false.
 */

export type PeerDecision = Decision | "hang" | { signer: TestApprover; decision: Decision };

export interface ApprovingHost {
  env: Record<string, string>;
  alice: TestApprover;
  host: RealHost;
  /** Challenges the host delivered to the "extension", in order. */
  shown: Challenge[];
  approversFile: string;
  stop(): Promise<void>;
}

export async function startApprovingHost(
  decide: (challenge: Challenge) => PeerDecision | Promise<PeerDecision>,
  options: { paired?: boolean } = {},
): Promise<ApprovingHost> {
  const dirs = await isolatedDirs();
  const alice = makeApprover("alice");
  const approversFile = resolvePaths(dirs.env).approversFile;
  if (options.paired !== false) await addApprover(approversFile, alice.record);
  const port = await freePort();
  const env = { ...dirs.env, HITL_PORT: String(port) };
  const shown: Challenge[] = [];
  const status: ExtensionStatus = { keyPresent: true, kid: alice.kid, subject: alice.sub, keyPolicy: "persistent", pending: 0 };
  const onMessage = (message: HostToExtension, peer: RealHost): void => {
    if (message.type !== "sign.request") return;
    shown.push(message.challenge);
    void Promise.resolve(decide(message.challenge)).then((answer) => {
      if (answer === "hang") return;
      const { signer, decision } = typeof answer === "string" ? { signer: alice, decision: answer } : answer;
      peer.send({ type: "sign.result", requestId: message.requestId, receipt: signReceipt(message.challenge, signer, { decision }) });
    });
  };
  const host = await startRealHost({ env, status, onMessage });
  return {
    env,
    alice,
    host,
    shown,
    approversFile,
    async stop() {
      await host.stop();
      await dirs.cleanup();
    },
  };
}
