export { Tracker, ActiveRun } from './tracker.js';
