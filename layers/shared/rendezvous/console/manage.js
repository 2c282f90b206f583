"use strict";
// The managers' pages (D, branch i13-manage) replace this placeholder.
