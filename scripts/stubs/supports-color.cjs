// debug (through simple-git) tries require('supports-color') in a try block; it is
// not installed, and in a single executable that require would only warn.
module.exports = {};
