const x: number = 1; console.log("ok", x, process.version);
