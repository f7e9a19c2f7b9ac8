// Counts in words, for text people read: `1 decision`, `3 decisions`, `0 replicas`. Pure.

/** The word that agrees with a count: `run` (or `was`) for one, `runs` (the plural given: `were`) for any other. */
export const word = (n: number, one: string, many = `${one}s`): string => (n === 1 ? one : many);

/** The count and its noun: `1 decision`, `3 decisions`. */
export const plural = (n: number, one: string, many?: string): string => `${n} ${word(n, one, many)}`;
