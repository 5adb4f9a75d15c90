/** How the front end tells the hook which secondary a push came through. */
export const LAB_MODES = ['geo-node-id', 'correlation', 'legacy'] as const;
export type LabMode = (typeof LAB_MODES)[number];

export const MODE_TITLES: Readonly<Record<LabMode, string>> = {
  'geo-node-id': 'geo_node_id pass-through (fix)',
  correlation: 'correlation-keyed cache (fix)',
  legacy: "upstream's actor+repository key",
};
