package dev.bitsbridge.proxy.state;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StateFilesTest {

    @Test
    void defaultFolderFollowsHomeOrLocalAppData() {
        assertEquals(Path.of("/home/ann/.bitsbridge"),
                StateFiles.defaultDir("Linux", Map.of("HOME", "/home/ann"), "/root"));
        assertEquals(Path.of("/root/.bitsbridge"), StateFiles.defaultDir("Linux", Map.of(), "/root"));
        assertEquals(Path.of("C:\\Users\\ann\\AppData\\Local", "bitsbridge"), StateFiles.defaultDir("Windows 11",
                Map.of("LOCALAPPDATA", "C:\\Users\\ann\\AppData\\Local", "HOME", "/c/Users/ann"), "C:\\Users\\ann"));
    }
}
