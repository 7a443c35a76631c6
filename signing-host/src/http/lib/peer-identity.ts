import { readdirSync, readFileSync, readlinkSync, statSync } from "node:fs";
import type { Socket } from "node:net";
import { endianness } from "node:os";

/*
 * Who is on the other end of a loopback connection, as the kernel knows it, not as the request
 * claims (challenge.requester.pid is self-declared). On Linux the client's socket is a row of
 * /proc/net/tcp whose local address is our peer's address and whose remote address is ours; that
 * row names the uid owning the socket and its inode, and the process holding the inode is found
 * among /proc/<pid>/fd of that uid. Elsewhere (no /proc) nothing better than the connection is
 * known.
 */

export interface Peer {
  /** What the pending-request bounds count by (see pending-requests.ts). */
  readonly key: string;
  /** The uid owning the client socket, when known. */
  readonly uid?: number;
  /** The process holding the client socket, when it could be found. */
  readonly pid?: number;
}

export type IdentifyPeer = (socket: Socket) => Peer;

const PROC = "/proc";
/** Processes found recently, checked before a full scan: one flooding process is found at once. */
const RECENT_LIMIT = 8;
/** Socket descriptors remembered from earlier scans (forgotten all at once beyond this). */
const SEEN_LIMIT = 4096;

/**
 * Where each socket was last seen: `socket:[inode]` -> pid and fd. A scan of a process's fds
 * records all its sockets, so the next connection of the same process is found with one readlink
 * instead of another scan (a process with N connections open would otherwise cost N² readlinks).
 * An entry is only a hint: it is checked against /proc before it is believed.
 */
type SeenSockets = Map<string, { pid: number; fd: string }>;

export function createPeerIdentifier(): IdentifyPeer {
  const recent: number[] = [];
  const seen: SeenSockets = new Map();
  return (socket) => {
    const { remoteAddress, remotePort, localAddress, localPort } = socket;
    // The socket is already closed: whoever it was has left.
    if (remoteAddress === undefined || remotePort === undefined || localAddress === undefined || localPort === undefined) {
      return UNIDENTIFIED;
    }
    const owner = socketOwner(remoteAddress, remotePort, localAddress, localPort);
    // No /proc (not Linux): only the connection is known.
    if (owner === "no-proc") return { key: `connection:${remotePort}` };
    // The client closed its end (an orphaned socket has no inode) or it is gone: all such share
    // one bucket, so closing early cannot make a flood look like many requesters.
    if (owner === "gone") return UNIDENTIFIED;
    const pid = processHolding(owner.inode, owner.uid, recent, seen);
    // A process we may not inspect (another user, or one that made itself non-dumpable) shares one
    // bucket per uid: hiding cannot buy more room than one process gets.
    if (pid === undefined) return { key: `uid:${owner.uid}`, uid: owner.uid };
    const at = recent.indexOf(pid);
    if (at >= 0) recent.splice(at, 1);
    recent.unshift(pid);
    if (recent.length > RECENT_LIMIT) recent.pop();
    return { key: `process:${owner.uid}:${pid}`, uid: owner.uid, pid };
  };
}

const UNIDENTIFIED: Peer = { key: "unidentified" };

/** The uid and inode of the client's end, from /proc/net/tcp (IPv4: the host listens on 127.0.0.1). */
function socketOwner(
  clientAddress: string,
  clientPort: number,
  serverAddress: string,
  serverPort: number,
): { uid: number; inode: string } | "no-proc" | "gone" {
  const client = procAddress(clientAddress, clientPort);
  const server = procAddress(serverAddress, serverPort);
  if (client === undefined || server === undefined) return "gone";
  let table: string;
  try {
    table = readFileSync(`${PROC}/net/tcp`, "latin1");
  } catch {
    return "no-proc";
  }
  // Rows are `sl local_address rem_address st tx:rx tr:tm retrnsmt uid timeout inode ...`: find
  // the row by its two addresses and split only that one (the table holds every TCP socket).
  const at = table.indexOf(` ${client} ${server} `);
  if (at < 0) return "gone";
  const start = table.lastIndexOf("\n", at) + 1;
  const end = table.indexOf("\n", at);
  const fields = table
    .slice(start, end < 0 ? undefined : end)
    .trim()
    .split(/\s+/);
  if (fields[1] !== client || fields[2] !== server) return "gone";
  const uid = Number(fields[7]);
  const inode = fields[9];
  if (!Number.isSafeInteger(uid) || inode === undefined || !/^[1-9][0-9]*$/.test(inode)) return "gone";
  return { uid, inode };
}

/** `127.0.0.1`, 7331 -> `0100007F:1CA3` (the address in host byte order, as the kernel prints it). */
function procAddress(ip: string, port: number): string | undefined {
  const octets = ip.split(".").map(Number);
  if (octets.length !== 4 || octets.some((octet) => !Number.isInteger(octet) || octet < 0 || octet > 255)) return undefined;
  if (endianness() === "LE") octets.reverse();
  const hex = (value: number, digits: number) => value.toString(16).toUpperCase().padStart(digits, "0");
  return `${octets.map((octet) => hex(octet, 2)).join("")}:${hex(port, 4)}`;
}

/**
 * The process holding socket `inode`: recently seen ones first, then every process of `uid`,
 * newest pid first (a requester such as `hitl request` has just started). Undefined when no
 * process we may inspect holds it.
 */
function processHolding(inode: string, uid: number, recent: readonly number[], seen: SeenSockets): number | undefined {
  const target = `socket:[${inode}]`;
  const hint = seen.get(target);
  if (hint !== undefined && stillHolds(hint.pid, hint.fd, target, uid)) return hint.pid;
  for (const pid of recent) if (holds(pid, target, uid, seen)) return pid;
  let names: string[];
  try {
    names = readdirSync(PROC);
  } catch {
    return undefined;
  }
  const pids = names.filter((name) => /^[1-9][0-9]*$/.test(name)).map(Number);
  pids.sort((a, b) => b - a);
  for (const pid of pids) if (!recent.includes(pid) && holds(pid, target, uid, seen)) return pid;
  return undefined;
}

/** Scans every fd of `pid` (recording the sockets it holds in `seen`); true if one is `target`. */
function holds(pid: number, target: string, uid: number, seen: SeenSockets): boolean {
  let found = false;
  try {
    if (statSync(`${PROC}/${pid}`).uid !== uid) return false;
    for (const fd of readdirSync(`${PROC}/${pid}/fd`)) {
      try {
        const link = readlinkSync(`${PROC}/${pid}/fd/${fd}`);
        if (link === target) found = true;
        if (link.startsWith("socket:[")) {
          if (seen.size >= SEEN_LIMIT) seen.clear();
          seen.set(link, { pid, fd });
        }
      } catch {
        // The descriptor closed meanwhile.
      }
    }
  } catch {
    // The process exited, or we may not look inside it.
  }
  return found;
}

/** The hint checked now: `pid` still has uid `uid` and its `fd` is still `target`. */
function stillHolds(pid: number, fd: string, target: string, uid: number): boolean {
  try {
    return statSync(`${PROC}/${pid}`).uid === uid && readlinkSync(`${PROC}/${pid}/fd/${fd}`) === target;
  } catch {
    return false;
  }
}
