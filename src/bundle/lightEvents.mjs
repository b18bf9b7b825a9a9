// werift's Event (its own small event emitter, ../common/src/event.ts in werift's
// sources) made light for the bundles. werift builds ~81 Events per WebRtcEndpoint, and
// each one made ten closures and its fields in the constructor: 60 of the 147 KiB of
// JavaScript heap an idle endpoint held (a heap snapshot of a media worker, issue 14
// item 5). werift hands those methods around unbound (`dtls.onData = ev.execute`,
// `returnTrigger`), so they cannot simply move to the prototype: here each is bound to
// its Event the first time it is read, and an Event whose `once` or `watch` nobody
// reads never makes them. `execute` also skips the promise it made per call for
// queued subscribers when there are none (there rarely are: werift calls `execute`
// per packet on its receive paths). Same behaviour otherwise, method for method.
// Plain JavaScript: the bundler (esbundle.mjs) runs it before any TypeScript loads.
import { readFileSync } from 'node:fs';

/** Where werift's bundled ESM build defines its Event class, and where the next class starts. */
const START = 'var Event2 = class {';
const END = 'var EventDisposer = class {';

/** The replacement class, in werift's bundle's own names (Event2). */
const LIGHT = `var Event2 = class {
  constructor() {
    this.event = { stack: [], promiseStack: [], eventId: 0 };
    this.ended = false;
    this.onended = void 0;
  }
  onerror(_e) {}
  pipe(e) {
    this.subscribe((...args) => { e.execute(...args); });
  }
  get returnTrigger() {
    const { execute, error, complete } = this;
    return { execute, error, complete };
  }
  get returnListener() {
    const { subscribe, once, asPromise } = this;
    return { subscribe, once, asPromise };
  }
  get length() {
    return this.event.stack.length;
  }
};
{
  const methods = {
    execute(...args) {
      if (this.ended) return;
      for (const item of this.event.stack) item.execute(...args);
      const queued = this.event.promiseStack;
      if (queued.length === 0) return;
      (async () => {
        for (const item of queued) await item.execute(...args);
      })().catch((e) => { this.onerror(e); });
    },
    complete() {
      if (this.ended) return;
      for (const item of this.event.stack) if (item.complete) item.complete();
      this.allUnsubscribe();
      this.ended = true;
      if (this.onended) {
        this.onended();
        this.onended = void 0;
      }
    },
    error(e) {
      if (this.ended) return;
      for (const item of this.event.stack) if (item.error) item.error(e);
      this.allUnsubscribe();
    },
    allUnsubscribe() {
      if (this.ended) return;
      this.event = { stack: [], promiseStack: [], eventId: 0 };
    },
    subscribe(execute, complete, error) {
      return listen(this, this.event.stack, { execute, complete, error });
    },
    queuingSubscribe(execute, complete, error) {
      if (this.ended) throw new Error("event completed");
      return listen(this, this.event.promiseStack, { execute, complete, error });
    },
    once(execute, complete, error) {
      const off = this.subscribe((...args) => { off.unSubscribe(); execute(...args); }, complete, error);
    },
    watch(cb, timeLimit) {
      return new Promise((resolve, reject) => {
        const timeout = timeLimit && setTimeout(() => { reject("Event watch timeout"); }, timeLimit);
        const { unSubscribe } = this.subscribe((...args) => {
          const done = cb(...args);
          if (done) {
            if (timeout) clearTimeout(timeout);
            unSubscribe();
            resolve(args);
          }
        });
      });
    },
    asPromise(timeLimit) {
      return new Promise((resolve, reject) => {
        const timeout = timeLimit && setTimeout(() => { reject("Event asPromise timeout"); }, timeLimit);
        this.once(
          (...args) => { if (timeout) clearTimeout(timeout); resolve(args); },
          () => { if (timeout) clearTimeout(timeout); resolve([]); },
          (err) => { if (timeout) clearTimeout(timeout); reject(err); },
        );
      });
    },
  };
  // As werift: unSubscribe filters the plain subscribers, whichever list the listener joined.
  const listen = (ev, list, listener) => {
    const id = ev.event.eventId;
    list.push({ ...listener, id });
    ev.event.eventId++;
    const unSubscribe = () => { ev.event.stack = ev.event.stack.filter((item) => item.id !== id && item); };
    const disposer = (disposer2) => { disposer2.push(unSubscribe); };
    return { unSubscribe, disposer };
  };
  const own = (obj, name, value) => Object.defineProperty(obj, name, { value, writable: true, enumerable: true, configurable: true });
  for (const [name, impl] of Object.entries(methods)) {
    Object.defineProperty(Event2.prototype, name, {
      configurable: true,
      get() { const bound = impl.bind(this); own(this, name, bound); return bound; },
      set(value) { own(this, name, value); },
    });
  }
}
`;

/**
 * The esbuild plugin: werift's ESM build with the light Event, when its text is the one
 * this replacement was written for; otherwise werift's own (and a line saying so).
 * FLUO_WERIFT_EVENTS=original keeps werift's own (to compare).
 */
export const lightWeriftEvents = {
  name: 'fluo-light-werift-events',
  setup(b) {
    if (process.env.FLUO_WERIFT_EVENTS === 'original') return;
    b.onLoad({ filter: /[\\/]werift[\\/]lib[\\/]index\.mjs$/ }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      const start = text.indexOf(START);
      const end = text.indexOf(END, start);
      if (start < 0 || end < 0 || !text.slice(start, end).includes('promiseStack')) {
        process.stderr.write('fluo: werift\'s Event class was not where expected; its own is used\n');
        return undefined;
      }
      return { contents: text.slice(0, start) + LIGHT + text.slice(end), loader: 'js' };
    });
  },
};
