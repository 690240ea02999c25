// The package version, baked in at build time (kept equal to package.json by test/version.test.ts).
/** Version of @ruminate/script. */
export const VERSION = '0.1.0';
