/**
 * An error answered by the media server (its JSON-RPC `code`, and Kurento's `type`
 * name such as MEDIA_OBJECT_NOT_FOUND), or raised by the client itself (negative
 * codes: -1 not connected, -2 no answer in time).
 */
export class KurentoClientError extends Error {
  readonly code: number;
  readonly type: string | undefined;

  constructor(code: number, message: string, type?: string) {
    super(message);
    this.name = 'KurentoClientError';
    this.code = code;
    this.type = type;
  }
}
