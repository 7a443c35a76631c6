#!/usr/bin/env node
/*
 * The native-messaging host binary, started by the browser (runtime.connectNative). stdout
 * carries length-prefixed frames and nothing else; every diagnostic goes to the log file.
 */
import { runHostProcess } from "./host-process.js";

await runHostProcess();
