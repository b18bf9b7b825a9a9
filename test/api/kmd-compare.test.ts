/**
 * Our API definitions against Kurento's KMD files (../shared/reference/kmd beside the
 * repository): every class, constructor parameter, method, property, event and complex
 * type must be present with the same types, flags and defaults. 7.3.0 must match; the
 * 6.18.0 members must be present too (as legacy members or event aliases).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ALL_MODULES } from '../../src/api/modules/index.ts';
import { ApiRegistry } from '../../src/api/ApiRegistry.ts';
import type { ComplexTypeDef, EventDef, ModuleDef, ParamDef, RemoteClassDef } from '../../src/api/types.ts';

const KMD = fileURLToPath(new URL('../../../shared/reference/kmd/', import.meta.url));
const present = fs.existsSync(KMD);
const api = new ApiRegistry(ALL_MODULES);

interface KParam { name: string; type: string; optional?: boolean; defaultValue?: unknown }
interface KClass {
  name: string; extends?: string; abstract?: boolean; constructor?: { params: KParam[] };
  methods?: Array<{ name: string; params: KParam[]; return?: { type: string } }>;
  properties?: Array<KParam & { readOnly?: boolean; final?: boolean }>; events?: string[];
}
interface KModule {
  name: string; remoteClasses: KClass[];
  complexTypes: Array<{ name: string; typeFormat: string; values?: string[]; extends?: string; properties?: KParam[] }>;
  events: Array<{ name: string; extends?: string; properties: KParam[] }>;
}

const MODULES = ['core', 'elements', 'filters', 'chroma', 'crowddetector', 'platedetector', 'pointerdetector'];

function sameParam(ours: ParamDef | undefined, k: KParam, where: string): void {
  assert.ok(ours, `${where}: missing`);
  assert.equal(ours.type, k.type, `${where}: type`);
  assert.equal(ours.optional === true, k.optional === true, `${where}: optional`);
  assert.deepEqual(ours.defaultValue, k.defaultValue, `${where}: defaultValue`);
}

function compare(version: string, file: string, strict: boolean): void {
  const k = JSON.parse(fs.readFileSync(file, 'utf8')) as KModule;
  const found: ModuleDef | undefined = api.getModule(k.name);
  assert.ok(found, `module ${k.name}`);
  const mod: ModuleDef = found;
  for (const kc of k.remoteClasses) {
    const c: RemoteClassDef | undefined = mod.remoteClasses.find((x) => x.name === kc.name);
    const at = `${version} ${k.name}.${kc.name}`;
    assert.ok(c, `${at}: class missing`);
    assert.equal(c.extends, kc.extends, `${at}: extends`);
    assert.equal(c.abstract === true, kc.abstract === true, `${at}: abstract`);
    if (kc.constructor && Array.isArray(kc.constructor.params)) {
      for (const kp of kc.constructor.params) sameParam(c.constructorParams?.find((p) => p.name === kp.name), kp, `${at} constructor ${kp.name}`);
      if (strict) assert.equal(c.constructorParams?.length, kc.constructor.params.length, `${at}: constructor arity`);
    }
    for (const km of kc.methods ?? []) {
      const m: RemoteClassDef['methods'][number] | undefined = c.methods.find((x) => x.name === km.name);
      assert.ok(m, `${at}.${km.name}: method missing`);
      assert.equal(m.returns, km.return?.type, `${at}.${km.name}: return type`);
      assert.equal(m.params.length, km.params.length, `${at}.${km.name}: arity`);
      km.params.forEach((kp, i) => {
        assert.equal(m.params[i]?.name, kp.name, `${at}.${km.name} param ${i}`);
        sameParam(m.params[i], kp, `${at}.${km.name}(${kp.name})`);
      });
    }
    for (const kp of kc.properties ?? []) {
      const p: RemoteClassDef['properties'][number] | undefined = c.properties.find((x) => x.name === kp.name);
      assert.ok(p, `${at}.${kp.name}: property missing`);
      assert.equal(p.type, kp.type, `${at}.${kp.name}: type`);
      assert.equal(p.readOnly === true, kp.readOnly === true, `${at}.${kp.name}: readOnly`);
      assert.equal(p.final === true, kp.final === true, `${at}.${kp.name}: final`);
      assert.deepEqual(p.defaultValue, kp.defaultValue, `${at}.${kp.name}: defaultValue`);
    }
    for (const e of kc.events ?? []) assert.ok(c.events.includes(e), `${at}: event ${e} not declared`);
  }
  for (const kt of k.complexTypes) {
    const t: ComplexTypeDef | undefined = mod.complexTypes.find((x) => x.name === kt.name);
    const at = `${version} ${k.name} type ${kt.name}`;
    assert.ok(t, `${at}: missing`);
    if (kt.typeFormat === 'ENUM') {
      assert.equal(t.kind, 'enum', at);
      if (t.kind === 'enum') for (const v of kt.values ?? []) assert.ok(t.values.includes(v), `${at}: value ${v}`);
      if (strict && t.kind === 'enum') assert.deepEqual([...t.values], kt.values, `${at}: values`);
    } else {
      assert.equal(t.kind, 'register', at);
      if (t.kind !== 'register') continue;
      assert.equal(t.extends, kt.extends, `${at}: extends`);
      for (const kp of kt.properties ?? []) sameParam(t.properties.find((p) => p.name === kp.name), kp, `${at}.${kp.name}`);
    }
  }
  for (const ke of k.events) {
    const e: EventDef | undefined = mod.events.find((x) => x.name === ke.name);
    const at = `${version} ${k.name} event ${ke.name}`;
    assert.ok(e, `${at}: missing`);
    assert.equal(e.extends, ke.extends, `${at}: extends`);
    for (const kp of ke.properties) sameParam(e.properties.find((p) => p.name === kp.name), kp, `${at}.${kp.name}`);
  }
}

test('definitions match the 7.3.0 KMD exactly', { skip: present ? false : 'no ../shared/reference/kmd beside the repository' }, () => {
  for (const m of MODULES) compare('7.3.0', `${KMD}${m}.kmd.json`, true);
});

test('every 6.18.0 member is declared (legacy members and event aliases)', { skip: present ? false : 'no ../shared/reference/kmd beside the repository' }, () => {
  for (const m of MODULES) compare('6.18.0', `${KMD}6.18.0/${m}.kmd.json`, false);
});

test('nothing extra: every declared 7.x member exists in the KMD, legacy ones in 6.18', { skip: present ? false : 'no KMD' }, () => {
  for (const m of MODULES) {
    const k7 = JSON.parse(fs.readFileSync(`${KMD}${m}.kmd.json`, 'utf8')) as KModule;
    const k6 = JSON.parse(fs.readFileSync(`${KMD}6.18.0/${m}.kmd.json`, 'utf8')) as KModule;
    const mod = api.getModule(m)!;
    for (const c of mod.remoteClasses) {
      const kc7 = k7.remoteClasses.find((x) => x.name === c.name);
      const kc6 = k6.remoteClasses.find((x) => x.name === c.name);
      assert.ok(kc7, `${m}.${c.name} is not in the 7.3.0 KMD`);
      for (const meth of c.methods) {
        const src = meth.legacy ? kc6 : kc7;
        assert.ok(src?.methods?.some((x) => x.name === meth.name), `${m}.${c.name}.${meth.name} (${meth.legacy ? '6.18' : '7.3'}) unknown`);
      }
      for (const p of c.properties) {
        const src = p.legacy ? kc6 : kc7;
        assert.ok(src?.properties?.some((x) => x.name === p.name), `${m}.${c.name}.${p.name} unknown`);
      }
    }
    for (const e of mod.events) {
      const src = e.aliasOf ? k6 : k7;
      assert.ok(src.events.some((x) => x.name === e.name), `event ${e.name} unknown`);
      if (e.aliasOf) assert.ok(mod.events.some((x) => x.name === e.aliasOf) || api.getEvent(e.aliasOf), `${e.name} aliases a missing event`);
    }
  }
});
