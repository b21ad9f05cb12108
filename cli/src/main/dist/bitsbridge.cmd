@echo off
rem bitsbridge launcher: runs the jar next to this script with Java 17 or newer.
rem JAVA_HOME picks the Java to use; JAVA_OPTS adds JVM options (e.g. -Xmx256m).
rem
rem Class-data sharing: the first 'serve' records the classes it loaded into an archive when it
rem exits; later runs map it and start faster (see the sh launcher and docs/performance.md). The
rem archive is keyed by the jar's size and date; a stale one is ignored by the JVM.
rem BITSBRIDGE_CDS=off turns this off; BITSBRIDGE_CDS_DIR moves it (default %LOCALAPPDATA%\bitsbridge\cds).
setlocal
set "BITSBRIDGE_HOME=%~dp0"
if defined JAVA_HOME (set "JAVA_EXE=%JAVA_HOME%\bin\java.exe") else (set "JAVA_EXE=java.exe")
"%JAVA_EXE%" -version >nul 2>&1
if errorlevel 1 (
  echo bitsbridge: Java 17 or newer is needed ^(install it, or set JAVA_HOME^) 1>&2
  exit /b 1
)
set "CDS_OPTS="
if /i "%BITSBRIDGE_CDS%"=="off" goto run
if not defined BITSBRIDGE_CDS_DIR set "BITSBRIDGE_CDS_DIR=%LOCALAPPDATA%\bitsbridge\cds"
for %%J in ("%BITSBRIDGE_HOME%bitsbridge.jar") do set "JAR_STAMP=%%~zJ-%%~tJ"
set "JAR_STAMP=%JAR_STAMP:/=%"
set "JAR_STAMP=%JAR_STAMP::=%"
set "JAR_STAMP=%JAR_STAMP: =%"
set "ARCHIVE=%BITSBRIDGE_CDS_DIR%\cds-%JAR_STAMP%.jsa"
if exist "%ARCHIVE%" (
  set "CDS_OPTS=-XX:SharedArchiveFile=%ARCHIVE% -Xlog:cds=off -Xlog:cds+dynamic=off"
) else if /i "%~1"=="serve" (
  if not exist "%BITSBRIDGE_CDS_DIR%" mkdir "%BITSBRIDGE_CDS_DIR%" >nul 2>&1
  set "CDS_OPTS=-XX:ArchiveClassesAtExit=%ARCHIVE% -Xlog:cds=off -Xlog:cds+dynamic=off"
)
:run
"%JAVA_EXE%" %CDS_OPTS% %JAVA_OPTS% -jar "%BITSBRIDGE_HOME%bitsbridge.jar" %*
exit /b %ERRORLEVEL%
