/**
 * Shapes of Fluo's API definitions: the remote classes, complex types and events of
 * the Kurento modules, written as our own TypeScript data. Names, types and defaults
 * follow the KMD (Kurento Module Descriptor) facts; the objects are ours.
 *
 * A TypeRef is a KMD type name: a primitive (`String`, `int`, `int64`, `float`,
 * `double`, `boolean`), a complex type or remote class name (`IceCandidate`,
 * `MediaElement`), an array of one (`String[]`), or a map (`Stats<>`, `String<>`).
 */
export type TypeRef = string;

export type JsonValue =
  | null
  | boolean
  | number
  | string
  | JsonValue[]
  | { [key: string]: JsonValue };

export interface ParamDef {
  readonly name: string;
  readonly type: TypeRef;
  readonly optional?: boolean;
  readonly defaultValue?: JsonValue;
  /** Present only in the 6.x API (kept so 6.x clients keep working). */
  readonly legacy?: boolean;
}

export interface MethodDef {
  readonly name: string;
  readonly params: readonly ParamDef[];
  /** Absent for methods that return nothing. */
  readonly returns?: TypeRef;
  readonly legacy?: boolean;
}

export interface PropertyDef {
  readonly name: string;
  readonly type: TypeRef;
  /** Only a getter (`get<Name>`); set by the server. */
  readonly readOnly?: boolean;
  /** Set once by the constructor; only a getter afterwards. */
  readonly final?: boolean;
  readonly defaultValue?: JsonValue;
  readonly legacy?: boolean;
}

export interface RemoteClassDef {
  readonly name: string;
  /** Module that declares it: core, elements, filters, chroma, ... */
  readonly module: string;
  readonly extends?: string;
  readonly abstract?: boolean;
  /** Constructor parameters; absent when the class has no constructor. */
  readonly constructorParams?: readonly ParamDef[];
  readonly methods: readonly MethodDef[];
  readonly properties: readonly PropertyDef[];
  /** Names of events the class declares itself (inherited ones not repeated). */
  readonly events: readonly string[];
}

export interface EnumTypeDef {
  readonly kind: 'enum';
  readonly name: string;
  readonly module: string;
  readonly values: readonly string[];
}

export interface RegisterTypeDef {
  readonly kind: 'register';
  readonly name: string;
  readonly module: string;
  readonly extends?: string;
  readonly properties: readonly ParamDef[];
}

export type ComplexTypeDef = EnumTypeDef | RegisterTypeDef;

export interface EventDef {
  readonly name: string;
  readonly module: string;
  readonly extends?: string;
  readonly properties: readonly ParamDef[];
  /** A 6.x event name: delivered, under this name, when the 7.x event `aliasOf` fires. */
  readonly aliasOf?: string;
}

export interface ModuleDef {
  readonly name: string;
  readonly version: string;
  /** Kurento version range the module targets (absent for core). */
  readonly kurentoVersion?: string;
  readonly remoteClasses: readonly RemoteClassDef[];
  readonly complexTypes: readonly ComplexTypeDef[];
  readonly events: readonly EventDef[];
}
