import type { Command } from 'commander';

/**
 * Examples shown at the end of each command's --help (and of `sdae --help`, under ''), each a
 * whole command line a user can paste. A test parses every one with its command's flags.
 */
export const HELP_EXAMPLES: Readonly<Record<string, readonly string[]>> = {
  '': [
    'sdae data --split mini',
    'sdae da --epochs 15 --out runs/da',
    'sdae sda --preset dlt',
    'sdae cnn --preset lenet --epochs 2',
    'sdae predict --model runs/cnn/model digit.png',
  ],
  data: ['sdae data', 'sdae data --split mini --json', 'sdae data --dir ./mnist'],
  backends: ['sdae backends', 'sdae backends --backend wasm --json'],
  da: [
    'sdae da',
    'sdae da --hidden 500 --corruption 0.3 --epochs 15 --out runs/da-500',
    'sdae da --corruption 0 --split mini --limit 1000 --epochs 2',
    'sdae da --optimizer adam --learning-rate 0.001 --lr-schedule cosine',
  ],
  sda: [
    'sdae sda',
    'sdae sda --preset dlt',
    'sdae sda --hidden 1000,1000,1000 --corruption 0.1,0.2,0.3 --pretrain-epochs 15 --finetune-epochs 36',
    'sdae sda --split mini --limit 500 --hidden 100,100 --corruption 0.2,0.3 --pretrain-epochs 1 --finetune-epochs 2',
  ],
  cnn: [
    'sdae cnn',
    'sdae cnn --preset lenet --epochs 2 --out runs/lenet',
    'sdae cnn --filters 4 --pool 2 --iterations 2000',
    'sdae cnn --preset lenet --optimizer adam --learning-rate 0.001 --dropout 0.5',
  ],
  'compare-noise': ['sdae compare-noise', 'sdae compare-noise --hidden 100,500 --corruption 0,0.3,0.5 --epochs 5'],
  transfer: ['sdae transfer', 'sdae transfer --target-scales sigmoid=1,relu=0.1 --epochs 5'],
  sweep: [
    'sdae sweep --learning-rates 0.01,0.1,1 --epochs 2',
    'sdae sweep da --grid learning-rate=0.05,0.1 --grid hidden=100,500 --workers 2',
    'sdae sweep mlp --grid hidden=100,500 --epochs 3 --queue redis://localhost:6379',
  ],
  worker: ['sdae worker --queue redis://localhost:6379', 'sdae worker --queue redis://localhost:6379 --results runs/sweeps'],
  mlp: [
    'sdae mlp',
    'sdae mlp --logistic',
    'sdae mlp --hidden 500,500 --activation relu --dropout 0.2 --epochs 20',
    'sdae mlp --iterations 5000 --evaluate-every 500 --optimizer adam --learning-rate 0.001',
  ],
  predict: [
    'sdae predict --model runs/mlp/model digit.png',
    'sdae predict --model runs/cnn/model --test --out runs/cnn/confusion',
    'sdae predict --model runs/sda/checkpoint.sdae --test --json',
  ],
  export: [
    'sdae export --model runs/cnn/model --out export/cnn-tfjs',
    'sdae export --model runs/cnn/model --format onnx --out export/cnn-onnx',
    'sdae export --model runs/da/checkpoint.sdae --format onnx --out export/da-onnx --json',
  ],
  summary: ['sdae summary --model runs/cnn/model', 'sdae summary --model runs/sda/checkpoint.sdae --json'],
};

/** Adds the {@link HELP_EXAMPLES} of the program and of each of its commands to their --help. */
export function addHelpExamples(program: Command): void {
  const text = (examples: readonly string[]) => `\nExamples:\n${examples.map((example) => `  $ ${example}`).join('\n')}\n`;
  program.addHelpText('after', text(HELP_EXAMPLES['']!));
  for (const command of program.commands) {
    const examples = HELP_EXAMPLES[command.name()];
    if (examples !== undefined) command.addHelpText('after', text(examples));
  }
}
