@echo off
rem bitsbridge launcher: runs the jar next to this script with Java 17 or newer.
rem JAVA_HOME picks the Java to use; JAVA_OPTS adds JVM options (e.g. -Xmx256m).
setlocal
set "BITSBRIDGE_HOME=%~dp0"
if defined JAVA_HOME (set "JAVA_EXE=%JAVA_HOME%\bin\java.exe") else (set "JAVA_EXE=java.exe")
"%JAVA_EXE%" -version >nul 2>&1
if errorlevel 1 (
  echo bitsbridge: Java 17 or newer is needed ^(install it, or set JAVA_HOME^) 1>&2
  exit /b 1
)
"%JAVA_EXE%" %JAVA_OPTS% -jar "%BITSBRIDGE_HOME%bitsbridge.jar" %*
exit /b %ERRORLEVEL%
