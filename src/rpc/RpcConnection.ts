/** One client connection as the JSON-RPC core sees it (the WebSocket adapter implements it). */
export interface RpcConnection {
  readonly id: number;
  /** Sends one text frame; a closed connection drops it silently. */
  send(text: string): void;
  readonly open: boolean;
  /** The session currently bound to this connection (one connection, one session: the latest). */
  sessionId: string | undefined;
}
