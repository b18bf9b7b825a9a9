import { KurentoError } from '../shared/KurentoError.ts';

export interface JsonRpcError {
  code: number;
  message: string;
  data?: { type: string };
}

/**
 * The one place where failures become JSON-RPC error objects. Kurento codes carry
 * `data.type` (the code's name, as KMS sends it); the generic -32xxx codes carry no
 * `data` (conformance notes a.8). Anything that is not a KurentoError is a bug of
 * ours: it is reported as UNEXPECTED_ERROR (40003) and logged by the caller.
 */
export function errorToJsonRpc(err: unknown): JsonRpcError {
  if (err instanceof KurentoError) {
    return err.isJsonRpcGeneric
      ? { code: err.code, message: err.message }
      : { code: err.code, message: err.message, data: { type: err.type } };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { code: 40003, message: `Unexpected error: ${message}`, data: { type: 'UNEXPECTED_ERROR' } };
}

export function isUnexpected(err: unknown): boolean {
  return !(err instanceof KurentoError);
}
