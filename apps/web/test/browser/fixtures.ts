import { randomBytes } from 'node:crypto';
import sharp from 'sharp';

/** What `setInputFiles` and a file chooser take: a file as the browser will see it. */
export interface FileFixture {
  name: string;
  mimeType: string;
  buffer: Buffer;
}

const gradient = (width: number, height: number) => {
  const pixels = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      pixels.set([(x * 255) / width, (y * 255) / height, 160], (y * width + x) * 3);
  return sharp(pixels, { raw: { width, height, channels: 3 } });
};

export const pngImage = async (name: string, width = 640, height = 480): Promise<FileFixture> => ({
  name,
  mimeType: 'image/png',
  buffer: await gradient(width, height).png().toBuffer(),
});

export const jpegImage = async (name: string, width = 800, height = 600): Promise<FileFixture> => ({
  name,
  mimeType: 'image/jpeg',
  buffer: await gradient(width, height).jpeg({ quality: 85 }).toBuffer(),
});

/** Random pixels stored uncompressed: a PNG of at least `mebibytes` MiB (multipart territory). */
export async function largePngImage(name: string, mebibytes: number): Promise<FileFixture> {
  const side = Math.ceil(Math.sqrt((mebibytes * 1024 * 1024) / 3));
  const pixels = randomBytes(side * side * 3);
  const buffer = await sharp(pixels, { raw: { width: side, height: side, channels: 3 } })
    .png({ compressionLevel: 0 })
    .toBuffer();
  return { name, mimeType: 'image/png', buffer };
}

/** A one-page PDF with a correct cross-reference table (no generator library needed for this much). */
export function pdfDocument(name: string): FileFixture {
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    '<< /Length 45 >>\nstream\nBT /F1 24 Tf 72 760 Td (Hello, console) Tj ET\nendstream',
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let body = '%PDF-1.4\n';
  const offsets = objects.map((object, i) => {
    const offset = body.length;
    body += `${i + 1} 0 obj\n${object}\nendobj\n`;
    return offset;
  });
  const xref = body.length;
  body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  body += offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('');
  body += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return { name, mimeType: 'application/pdf', buffer: Buffer.from(body, 'latin1') };
}

export const textFile = (name: string, text: string): FileFixture => ({
  name,
  mimeType: 'text/plain',
  buffer: Buffer.from(text),
});
