import type WebSocket from "ws";
import type { ClientOptions } from "ws";

export function openWebSocket(url: string, how: { what: string; timeoutMs?: number; options?: ClientOptions }): Promise<WebSocket>;
