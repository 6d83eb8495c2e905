import assert from 'node:assert/strict';
import { test } from 'node:test';
import { expand, expandAll, lookupIn } from './expand.js';

const vars = new Map([
  ['VAR_A', 'A'],
  ['VAR_B', 'B'],
  ['VAR_C', 'C'],
  ['VAR_REF', '$(VAR_A)'],
  ['VAR_EMPTY', ''],
]);

// The behaviours of upstream expand_test.go, rewritten as a table.
const cases: [name: string, input: string, want: string][] = [
  ['whole string', '$(VAR_A)', 'A'],
  ['repeat', '$(VAR_A)-$(VAR_A)', 'A-A'],
  ['beginning', '$(VAR_A)-1', 'A-1'],
  ['middle', '___$(VAR_B)___', '___B___'],
  ['end', '___$(VAR_C)', '___C'],
  ['compound', '$(VAR_A)_$(VAR_B)_$(VAR_C)', 'A_B_C'],
  ['escape & expand', '$$(VAR_B)_$(VAR_A)', '$(VAR_B)_A'],
  ['compound escape', '$$(VAR_A)_$$(VAR_B)', '$(VAR_A)_$(VAR_B)'],
  ['mixed in escapes', 'f000-$$VAR_A', 'f000-$VAR_A'],
  ['backslash escape ignored', 'foo\\$(VAR_C)bar', 'foo\\Cbar'],
  ['two backslashes', 'foo\\\\$(VAR_C)bar', 'foo\\\\Cbar'],
  ['lots of backslashes', 'foo\\\\\\\\$(VAR_A)bar', 'foo\\\\\\\\Abar'],
  ['nested var references', '$(VAR_A$(VAR_B))', '$(VAR_A$(VAR_B))'],
  ['nested var references, second type', '$(VAR_A$(VAR_B)', '$(VAR_A$(VAR_B)'],
  ['value is a reference (not re-expanded)', '$(VAR_REF)', '$(VAR_A)'],
  ['value is a reference x 2', '%%$(VAR_REF)--$(VAR_REF)%%', '%%$(VAR_A)--$(VAR_A)%%'],
  ['empty var', 'foo$(VAR_EMPTY)bar', 'foobar'],
  ['unterminated expression', 'foo$(VAR_Awhoops!', 'foo$(VAR_Awhoops!'],
  ['expression without operator', 'f00__(VAR_A)__', 'f00__(VAR_A)__'],
  ['shell special vars pass through', '$?_boo_$!', '$?_boo_$!'],
  ['bare operators are ignored', '$VAR_A', '$VAR_A'],
  ['undefined vars are passed through', '$(VAR_DNE)', '$(VAR_DNE)'],
  ['multiple (even) operators, var undefined', '$$$$$$(BIG_MONEY)', '$$$(BIG_MONEY)'],
  ['multiple (even) operators, var defined', '$$$$$$(VAR_A)', '$$$(VAR_A)'],
  ['multiple (odd) operators, var undefined', '$$$$$$$(GOOD_ODDS)', '$$$$(GOOD_ODDS)'],
  ['multiple (odd) operators, var defined', '$$$$$$$(VAR_A)', '$$$A'],
  ['missing open expression', '$VAR_A)', '$VAR_A)'],
  ['shell syntax ignored', '${VAR_A}', '${VAR_A}'],
  ['trailing incomplete expression not consumed', '$(VAR_B)_______$(A', 'B_______$(A'],
  ['trailing incomplete expression, no content, is not consumed', '$(VAR_C)_______$(', 'C_______$('],
  ['operator at end of input string is preserved', '$(VAR_A)foobarzab$', 'Afoobarzab$'],
  ['shell escaped incomplete expr', 'foo-\\$(VAR_A', 'foo-\\$(VAR_A'],
  ['lots of $( in middle', '--$($($($($--', '--$($($($($--'],
  ['lots of $( in beginning', '$($($($($--foo$(', '$($($($($--foo$('],
  ['lots of $( at end', 'foo0--$($($($(', 'foo0--$($($($('],
  ['escaped operators in variable names are not escaped', '$(foo$$var)', '$(foo$$var)'],
  ['newline not expanded', '\n', '\n'],
  // Further edge cases.
  ['empty input', '', ''],
  ['lone operator', '$', '$'],
  ['escaped operator alone', '$$', '$'],
  ['three operators', '$$$', '$$'],
  ['empty name, undefined', '$()', '$()'],
  ['multi-byte characters around a reference', 'ü$(VAR_A)😀$😀', 'üA😀$😀'],
  ['unterminated then complete reference', '$($(VAR_A)', '$($(VAR_A)'],
];

for (const [name, input, want] of cases) {
  test(`expand: ${name}`, () => {
    assert.equal(expand(input, (n) => vars.get(n)), want);
  });
}

test('expand passes exactly the referenced name to lookup', () => {
  const seen: string[] = [];
  expand('$(a) $(b c) $$(d) $(e$(f)', (n) => {
    seen.push(n);
    return undefined;
  });
  assert.deepEqual(seen, ['a', 'b c', 'e$(f']);
});

test('lookupIn searches maps in order (declared env before service env)', () => {
  const declared = new Map([['FOO', 'declared']]);
  const service = new Map([
    ['FOO', 'service'],
    ['SVC_HOST', '10.0.0.1'],
  ]);
  const lookup = lookupIn(declared, service);
  assert.equal(expand('$(FOO) $(SVC_HOST) $(NONE)', lookup), 'declared 10.0.0.1 $(NONE)');
});

test('chained references resolve against earlier values (upstream TestMapReference)', () => {
  const env: [string, string][] = [
    ['FOO', 'bar'],
    ['ZOO', '$(FOO)-1'],
    ['BLU', '$(ZOO)-2'],
  ];
  const declared = new Map<string, string>();
  for (const [name, value] of env) declared.set(name, expand(value, lookupIn(declared)));
  assert.deepEqual(Object.fromEntries(declared), { FOO: 'bar', ZOO: 'bar-1', BLU: 'bar-1-2' });
});

test('expandAll expands every element and tolerates undefined', () => {
  const lookup = lookupIn(vars);
  assert.deepEqual(expandAll(['sh', '-c', 'echo $(VAR_A) $$(VAR_B)'], lookup), ['sh', '-c', 'echo A $(VAR_B)']);
  assert.deepEqual(expandAll(undefined, lookup), []);
});
