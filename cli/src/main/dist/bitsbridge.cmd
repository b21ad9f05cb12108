@echo off
rem bitsbridge launcher: runs the jar next to this script with Java 17 or newer.
rem JAVA_HOME picks the Java to use; JAVA_OPTS adds JVM options (e.g. -Xmx256m).
rem
rem Class-data sharing: a 'serve' that starts serving records the classes it loaded into an archive
rem when it exits; later runs map it and start faster (see the sh launcher and docs/performance.md).
rem The proxy writes <archive>.ok once its port is bound; an archive without it is recorded again.
rem 'serve --help' never records. The archive is keyed by the jar's size and date; a stale one is
rem ignored by the JVM.
rem BITSBRIDGE_CDS=off turns this off; BITSBRIDGE_CDS_DIR moves it (default %LOCALAPPDATA%\bitsbridge\cds).
setlocal
set "BITSBRIDGE_HOME=%~dp0"
if defined JAVA_HOME (set "JAVA_EXE=%JAVA_HOME%\bin\java.exe") else (set "JAVA_EXE=java.exe")
"%JAVA_EXE%" -version >nul 2>&1
if errorlevel 1 (
  echo bitsbridge: Java 17 or newer is needed ^(install it, or set JAVA_HOME^) 1>&2
  exit /b 1
)
rem The major version from 'java -version' (1.8.0_x is Java 8, reported as 1 and refused too).
set "JAVA_VER="
for /f "tokens=3" %%v in ('"%JAVA_EXE%" -version 2^>^&1 ^| findstr /i "version"') do if not defined JAVA_VER set "JAVA_VER=%%~v"
set "JAVA_MAJOR=0"
for /f "delims=.-+" %%m in ("%JAVA_VER%") do set "JAVA_MAJOR=%%m"
if %JAVA_MAJOR% LSS 17 (
  echo bitsbridge: Java 17 or newer is needed, but "%JAVA_EXE%" is Java %JAVA_VER% ^(set JAVA_HOME to a newer one^) 1>&2
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
if exist "%ARCHIVE%" if exist "%ARCHIVE%.ok" (
  set "CDS_OPTS=-XX:SharedArchiveFile=%ARCHIVE% -Xlog:cds=off -Xlog:cds+dynamic=off"
  goto run
)
if /i not "%~1"=="serve" goto run
for %%A in (%*) do (
  if /i "%%~A"=="--help" goto run
  if /i "%%~A"=="-h" goto run
  if /i "%%~A"=="--version" goto run
  if /i "%%~A"=="-V" goto run
)
if not exist "%BITSBRIDGE_CDS_DIR%" mkdir "%BITSBRIDGE_CDS_DIR%" >nul 2>&1
del /q "%ARCHIVE%" "%ARCHIVE%.ok" >nul 2>&1
set "CDS_OPTS=-XX:ArchiveClassesAtExit=%ARCHIVE% -Dbitsbridge.cds.recording=%ARCHIVE%.ok -Xlog:cds=off -Xlog:cds+dynamic=off"
:run
"%JAVA_EXE%" %CDS_OPTS% %JAVA_OPTS% -jar "%BITSBRIDGE_HOME%bitsbridge.jar" %*
exit /b %ERRORLEVEL%
