import { describe, expect, it } from 'vitest';
import { htmlReport, toBase64 } from './html-report';
import { encodePng, decodePng, greyToRgba } from './png';
import { lineChart } from './svg-chart';

describe('toBase64', () => {
  it('matches the RFC 4648 test vectors', () => {
    expect(['', 'f', 'fo', 'foo', 'foob', 'fooba', 'foobar'].map((text) => toBase64(new TextEncoder().encode(text)))).toEqual([
      '',
      'Zg==',
      'Zm8=',
      'Zm9v',
      'Zm9vYg==',
      'Zm9vYmE=',
      'Zm9vYmFy',
    ]);
  });
});

describe('htmlReport', () => {
  it('embeds SVG inline and PNG as a data URI that decodes to the same image, with escaped text', () => {
    const image = greyToRgba({ pixels: Uint8Array.of(0, 255, 128, 64), width: 2, height: 2 });
    const html = htmlReport({
      title: 'dA <784-500>',
      summary: { 'test error': '1.88 %', epochs: 25 },
      figures: [
        { title: 'filters', png: encodePng(image), caption: 'first layer' },
        {
          title: 'cost',
          svg: lineChart([
            {
              name: 'cost',
              points: [
                [0, 2],
                [1, 1],
              ],
            },
          ]),
        },
      ],
      config: { hiddenSizes: [500, 500] },
      backendReport: 'wasm: SIMD on',
      log: ['Training epoch 0, cost 62.36'],
    });
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain('<h1>dA &#60;784-500&#62;</h1>');
    expect(html).toContain('<tr><th>epochs</th><td>25</td></tr>');
    expect(html).toContain('<svg xmlns="http://www.w3.org/2000/svg"');
    const uri = /src="data:image\/png;base64,([^"]+)"/.exec(html)?.[1] ?? '';
    const decoded = decodePng(new Uint8Array(Buffer.from(uri, 'base64')));
    expect(Array.from(decoded.data)).toEqual(Array.from(image.data));
    expect(html).toContain('Training epoch 0, cost 62.36');
  });

  it('writes a sortable table with one row per entry, links and escaped cells, and the script that sorts it', () => {
    const html = htmlReport({
      title: 'sweep',
      tables: [
        {
          title: 'Trials',
          columns: ['trial', 'lr', 'cost'],
          rows: [
            [{ text: 'a1', href: 'trials/a1/report.html' }, 0.1, '<b>'],
            ['b2', 0.05, 61.5],
          ],
        },
      ],
    });
    expect(html).toContain(
      '<table class="sortable"><thead><tr>\n<th title="click to sort">trial</th>\n<th title="click to sort">lr</th>\n<th title="click to sort">cost</th>\n</tr></thead><tbody>\n' +
        '<tr><td><a href="trials/a1/report.html">a1</a></td><td>0.1</td><td>&#60;b&#62;</td></tr>\n<tr><td>b2</td><td>0.05</td><td>61.5</td></tr>\n</tbody></table>',
    );
    expect(html).toContain("<script>document.querySelectorAll('table.sortable th')");
    expect(htmlReport({ title: 'no table' })).not.toContain('<script>');
  });

  it('embeds a PNG cell as an image with its alt text', () => {
    const png = encodePng(greyToRgba({ pixels: Uint8Array.of(7), width: 1, height: 1 }));
    const html = htmlReport({
      title: 't',
      tables: [{ title: 'Filters', columns: ['hidden', 'corruption 0'], rows: [['50', { png, alt: 'a <b>' }]] }],
    });
    expect(html).toContain(`<tr><td>50</td><td><img alt="a &#60;b&#62;" src="data:image/png;base64,${toBase64(png)}"></td></tr>`);
  });

  it('refuses a figure with both an SVG and a PNG', () => {
    expect(() => htmlReport({ title: 't', figures: [{ title: 'both', svg: '<svg/>', png: new Uint8Array(1) }] })).toThrow(
      'htmlReport: figures[0] ("both") must have exactly one of svg and png.',
    );
  });
});
