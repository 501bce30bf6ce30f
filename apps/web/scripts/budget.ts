import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Plugin } from 'vite';

export interface BudgetReport {
  limitKb: number;
  /** Gzip size of the JavaScript a first visit loads: the entry and its static imports. */
  initialJsGzipKb: number;
  initialCssGzipKb: number;
  chunks: { file: string; initial: boolean; gzipKb: number }[];
}

const kb = (bytes: number) => Math.round((bytes / 1024) * 10) / 10;

/**
 * Reports the initial JavaScript (gzip) after every build, writes it to
 * `dist/budget.json`, and fails the build when it is over the limit. Chunks
 * loaded only by a dynamic import (the OIDC sign-in) are not initial.
 */
export function initialJsBudget({ limitKb }: { limitKb: number }): Plugin {
  let outDir = 'dist';
  return {
    name: 'initial-js-budget',
    apply: 'build',
    configResolved(config) {
      outDir = resolve(config.root, config.build.outDir);
    },
    writeBundle(_options, bundle) {
      const initial = new Set<string>();
      const visit = (file: string) => {
        const chunk = bundle[file];
        if (initial.has(file) || chunk?.type !== 'chunk') return;
        initial.add(file);
        chunk.imports.forEach(visit);
      };
      for (const [file, output] of Object.entries(bundle))
        if (output.type === 'chunk' && output.isEntry) visit(file);
      const initialCss = new Set(
        [...initial].flatMap((file) => {
          const chunk = bundle[file];
          return chunk?.type === 'chunk' ? [...(chunk.viteMetadata?.importedCss ?? [])] : [];
        }),
      );
      const sizeOf = (file: string) => {
        const output = bundle[file];
        if (!output) return 0;
        return gzipSync(output.type === 'chunk' ? output.code : output.source, { level: 9 }).length;
      };
      const chunks = Object.keys(bundle)
        .filter((file) => file.endsWith('.js'))
        .map((file) => ({ file, initial: initial.has(file), gzipKb: kb(sizeOf(file)) }));
      const report: BudgetReport = {
        limitKb,
        initialJsGzipKb: kb([...initial].reduce((sum, file) => sum + sizeOf(file), 0)),
        initialCssGzipKb: kb([...initialCss].reduce((sum, file) => sum + sizeOf(file), 0)),
        chunks,
      };
      writeFileSync(join(outDir, 'budget.json'), `${JSON.stringify(report, null, 2)}\n`);
      const verdict = report.initialJsGzipKb <= limitKb ? 'within' : 'OVER';
      this.info(
        `initial JavaScript ${report.initialJsGzipKb} KB gzip (${verdict} the ${limitKb} KB budget), CSS ${report.initialCssGzipKb} KB`,
      );
      if (verdict === 'OVER')
        this.error(`initial JavaScript is over budget: ${report.initialJsGzipKb} KB > ${limitKb} KB`);
    },
  };
}
