#!/usr/bin/env node
'use strict';
require('./load.js').loadBundle().exports.main(process.argv);
