import { HitlError } from "@hitl/verifier/protocol";

/** Nobody to approve on this machine: the same words whichever check finds it. */
export function notPaired(approversFile: string): HitlError {
  return new HitlError(
    "ERR_NOT_PAIRED",
    `No approver is paired on this machine (${approversFile} lists none). Run 'hitl pair' with your browser open, then try again.`,
  );
}
