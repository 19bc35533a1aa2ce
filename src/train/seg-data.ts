/** Segmentation data fitted to a backbone: moved to src/data/sets/fit.ts beside `fitToBackbone`; kept here for old imports. */
export { fitSegToBackbone } from '../data/sets/fit';
