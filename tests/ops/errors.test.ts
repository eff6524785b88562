/** Issue 17, items 10 and 16: the operations CLI's errors follow the one convention (3: a missing dependency) and advise what works. */
import { StackNotFoundError, ToolMissingError, fileSystemError } from "../../ops/errors";

describe("ops errors", () => {
  test("docker or pulumi missing is exit 3, as every command documents a missing dependency", () => {
    expect(new ToolMissingError("pulumi", "Pulumi CLI not found").exitCode).toBe(3);
  });

  test("a stack not found advises stack:new only with a name stack:new accepts", () => {
    expect(new StackNotFoundError("bob").message).toBe("no stack bob: create it with npm run stack:new -- bob");
    const upper = new StackNotFoundError("UPPER").message;
    expect(upper).not.toContain("stack:new -- UPPER");
    expect(upper).toContain("lower-case letters, digits and dashes");
    expect(upper).toContain("(e.g. upper)");
  });

  test("file-system errors keep their plain text (the reasons are shared with the emulator)", () => {
    expect(fileSystemError(Object.assign(new Error("x"), { code: "EROFS", syscall: "mkdir", path: "/ro/b" }))?.message).toBe("cannot create the directory /ro/b: the file system is read-only (EROFS)");
  });
});
