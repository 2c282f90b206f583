"use strict";
// The day view (C1, branch i13-desk) replaces this placeholder.
