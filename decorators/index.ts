export { type TrackDecorator, type TrackOptions, track } from "./track.js";
