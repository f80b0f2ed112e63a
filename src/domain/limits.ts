/**
 * The limits of the ubiquitous language (CONTRACT.md), in one dependency-free module: the value
 * objects and guards of the domain use them, and so does the workflow sandbox's update validator
 * (the layering check lets workflows/ import this file and no other file of src/).
 */

/** A SKU: 1 to this many characters. */
export const SKU_MAX_LENGTH = 64;
/** Units moved by one command line. */
export const QUANTITY_MIN = 1;
export const QUANTITY_MAX = 1_000_000;
/** How long an unconfirmed reservation holds its stock, in seconds. */
export const TTL_SECONDS_MIN = 1;
export const TTL_SECONDS_MAX = 86_400;
export const TTL_SECONDS_DEFAULT = 900;
/** Lines of one reserve request. */
export const MAX_LINES_PER_REQUEST = 100;
/** Free text kept on a movement (an adjustment's note, a cancel's reason on its release). */
export const MOVEMENT_NOTE_MAX_LENGTH = 500;
