import { readdir, readFile, readlink } from "node:fs/promises";

/** Who holds a listening TCP socket, as far as the OS tells us. */
export interface ListenerOwner {
  uid: number;
  /** From /etc/passwd; absent when the uid has no entry. */
  user?: string;
  /** Absent when no readable /proc/<pid>/fd links to the socket (another user's process, as non-root). */
  pid?: number;
  command?: string;
}

/* The addresses a connection to 127.0.0.1 can land on: 127.0.0.1, 0.0.0.0, ::ffff:127.0.0.1, ::. */
const IPV4_ADDRESSES = new Set(["0100007F", "00000000"]);
const IPV6_ADDRESSES = new Set(["0000000000000000FFFF00000100007F", "00000000000000000000000000000000"]);
const LISTEN = "0A";

/**
 * The owner of the socket listening on `port` that accepts connections to 127.0.0.1 (Linux:
 * /proc/net/tcp{,6} give the uid and the socket inode; /proc/<pid>/fd links name the process
 * when readable). Undefined where the OS does not tell (no /proc: macOS, Windows) or when no
 * such socket is found.
 */
export async function findListenerOwner(port: number): Promise<ListenerOwner | undefined> {
  const sockets = [
    ...(await listeningSockets("/proc/net/tcp", port, IPV4_ADDRESSES)),
    ...(await listeningSockets("/proc/net/tcp6", port, IPV6_ADDRESSES)),
  ];
  const socket = sockets[0];
  if (socket === undefined) return undefined;
  const owner: ListenerOwner = { uid: socket.uid };
  const user = await userName(socket.uid);
  if (user !== undefined) owner.user = user;
  const process = await processHolding(socket.inode);
  if (process !== undefined) Object.assign(owner, process);
  return owner;
}

/** "user nobody (uid 65534), pid 4242: node /tmp/fake-host.mjs" */
export function describeOwner(owner: ListenerOwner): string {
  const who = owner.user === undefined ? `uid ${owner.uid}` : `user ${owner.user} (uid ${owner.uid})`;
  if (owner.pid === undefined) return `${who}, process not visible to you`;
  return `${who}, pid ${owner.pid}${owner.command === undefined ? "" : `: ${owner.command}`}`;
}

async function listeningSockets(table: string, port: number, addresses: ReadonlySet<string>): Promise<{ uid: number; inode: string }[]> {
  let text: string;
  try {
    text = await readFile(table, "utf8");
  } catch {
    return [];
  }
  const found: { uid: number; inode: string }[] = [];
  for (const line of text.split("\n").slice(1)) {
    // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode ...
    const fields = line.trim().split(/\s+/);
    if (fields.length < 10 || fields[3] !== LISTEN) continue;
    const [address, hexPort] = (fields[1] ?? "").split(":");
    if (address === undefined || hexPort === undefined || Number.parseInt(hexPort, 16) !== port || !addresses.has(address)) continue;
    const uid = Number(fields[7]);
    if (Number.isSafeInteger(uid)) found.push({ uid, inode: fields[9]! });
  }
  return found;
}

async function userName(uid: number): Promise<string | undefined> {
  try {
    const passwd = await readFile("/etc/passwd", "utf8");
    for (const line of passwd.split("\n")) {
      const [name, , id] = line.split(":");
      if (name !== undefined && name.length > 0 && id !== undefined && Number(id) === uid) return name;
    }
  } catch {
    // No passwd file to read: the uid alone is shown.
  }
  return undefined;
}

async function processHolding(inode: string): Promise<{ pid: number; command?: string } | undefined> {
  const target = `socket:[${inode}]`;
  let entries: string[];
  try {
    entries = await readdir("/proc");
  } catch {
    return undefined;
  }
  for (const entry of entries) {
    if (!/^[0-9]+$/.test(entry)) continue;
    let fds: string[];
    try {
      fds = await readdir(`/proc/${entry}/fd`);
    } catch {
      continue; // another user's process (or gone): not readable
    }
    for (const fd of fds) {
      const link = await readlink(`/proc/${entry}/fd/${fd}`).catch(() => undefined);
      if (link !== target) continue;
      const command = await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "");
      const shown = command
        .split("\u0000")
        .filter((part) => part.length > 0)
        .join(" ")
        .slice(0, 200);
      return { pid: Number(entry), ...(shown.length > 0 && { command: shown }) };
    }
  }
  return undefined;
}
