import { Endpoint } from './Endpoint.ts';

/** KMD `SessionEndpoint`: an endpoint with a media session (MediaSessionStarted/Terminated). */
export class SessionEndpoint extends Endpoint {}
