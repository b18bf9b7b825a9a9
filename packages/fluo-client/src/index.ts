export { KurentoClient } from './KurentoClient.ts';
export { Connection, type ConnectionOptions, type Json } from './runtime/Connection.ts';
export { KurentoClientError } from './runtime/KurentoClientError.ts';
export { RemoteObject, type RaiseBase, type RemoteRef } from './runtime/RemoteObject.ts';
export * from './generated/index.ts';
