#!/usr/bin/env node
import { main } from '../dist/main.js';
import { handleStreamErrors } from '../dist/output.js';

handleStreamErrors();

process.exitCode = await main(process.argv.slice(2));
