/** The peak RSS of this process image, in MB (see peak-rss.mjs). */
export function peakRssMb(): number;
