// The sdae command's flags: `define.ts` is the framework (a flag, its reader, a command's set, the
// refusal of repeated or inapplicable flags), `parsers.ts` reads values, `shared.ts` declares the
// flags several commands share. Every flag is declared once, there or in its only command's module.
export * from './define';
export * from './parsers';
export * from './shared';
