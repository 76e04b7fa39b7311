/** The library version, recorded in saved models' lineage. */
export const VERSION = "0.1.0";
